"""AxonQL: a GraphQL-first, real-time API server for cognitive-systems platforms."""

__version__ = "0.1.0"
