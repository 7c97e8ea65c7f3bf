"""The HTTP API v1 (FastAPI): `create_app(service)`; the routes live in `api.routes`."""

from ledgerbridge.api.app import create_app

__all__ = ["create_app"]
