"""Who may talk to the embedded SecantusDB: one generated user, known only to its data dir.

SecantusDB listens on TCP (no Unix sockets), so any local user could connect to its port.
It therefore runs with `--auth`, and its one user is written into the storage *before* the
server starts (the documented way, `createUser` on a server started without `--auth`, would
leave a window in which anyone on the host could create their own user). The password lives
in `<data dir>/secantus-credentials.json`, mode 0600, inside the 0700 data dir; it is never
put on a command line (visible to every user through `ps`) or in a URL that gets logged.

This is the one module that uses SecantusDB's private API (`secantus.auth`,
`secantus.storage.Storage.add_user`), written against SecantusDB 0.7.0b3, which pyproject
pins exactly; `tests/test_embedded_privacy.py` is its contract test (the user it writes must
log in, and nobody else).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CREDENTIALS_FILE = "secantus-credentials.json"
USERNAME = "axonql"
PRIVATE_UMASK = 0o077
"""Files the database (or AxonQL) creates in the data dir are readable by their owner only."""


@dataclass(frozen=True)
class Credentials:
    """The embedded database's user; `client_options` are what PyMongo needs to log in."""

    username: str
    password: str

    def client_options(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "password": self.password,
            "authSource": "admin",
            "authMechanism": "SCRAM-SHA-256",
        }


def write_private(path: Path, text: str) -> None:
    """Write `text` to a file only its owner may read (an existing file is tightened too)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        os.fchmod(file.fileno(), 0o600)
        file.write(text)


def lock_down(data_dir: Path) -> None:
    """Data dir and every directory under it 0700, every file 0600 (also those made earlier)."""
    data_dir.chmod(0o700)
    for root, dirs, files in os.walk(data_dir):
        for name in dirs + files:
            path = Path(root) / name
            if not path.is_symlink():  # chmod would follow it out of the data dir
                path.chmod(0o700 if name in dirs else 0o600)


def load_or_create(data_dir: Path) -> Credentials:
    """The data dir's credentials; generated (and stored 0600) on first use."""
    path = data_dir / CREDENTIALS_FILE
    try:
        stored = json.loads(path.read_text())
        return Credentials(str(stored["username"]), str(stored["password"]))
    except (OSError, ValueError, KeyError, TypeError):
        credentials = Credentials(USERNAME, secrets.token_urlsafe(32))
        write_private(path, json.dumps({"username": USERNAME, "password": credentials.password}))
        return credentials


def provision(storage: Path, credentials: Credentials) -> None:
    """Store the user (root role) in the stopped database at `storage`, replacing an old one.

    Runs in a child process so WiredTiger's lock on the directory is certainly released
    before the server opens it; the password travels on stdin, not argv.
    """
    done = subprocess.run(
        [sys.executable, "-m", "axonql.embedded_auth", str(storage)],
        input=json.dumps({"username": credentials.username, "password": credentials.password}),
        capture_output=True,
        text=True,
        umask=PRIVATE_UMASK,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"could not provision the embedded database's user: {done.stderr}")


def _store_user(storage: str, username: str, password: str) -> None:
    """The record `createUser` would write (secantus.commands._create_user), written directly."""
    from secantus.auth import SCRAM_SHA_256, derive_credentials
    from secantus.storage import Storage

    store = Storage(storage, cache_size="32M", durable=True)
    try:
        record = {
            "_id": f"admin.{username}",
            "user": username,
            "db": "admin",
            "credentials": derive_credentials(password, mechanism=SCRAM_SHA_256).to_doc(),
            "roles": [{"role": "root", "db": "admin"}],
            "mechanisms": [SCRAM_SHA_256],
        }
        store.add_user("admin", username, record, replace=True)
    finally:
        store.close()


if __name__ == "__main__":
    given = json.loads(sys.stdin.read())
    _store_user(sys.argv[1], str(given["username"]), str(given["password"]))
