"""Token operations the legacy auth paths share (login and refresh-token rotation)."""

from __future__ import annotations

LOGIN = """
mutation Login($username: String!, $password: String!) {
  login(username: $username, password: $password) {
    access_token: accessToken token_type: tokenType expires_in: expiresIn
    refresh_token: refreshToken scope
  }
}"""

REFRESH = """
mutation Refresh($refreshToken: String!) {
  refreshToken(refreshToken: $refreshToken) {
    access_token: accessToken token_type: tokenType expires_in: expiresIn
    refresh_token: refreshToken
  }
}"""
