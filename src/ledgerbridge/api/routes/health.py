"""`GET /v1/health`: the process answers (no API key)."""

from __future__ import annotations

from fastapi import APIRouter

from ledgerbridge.api.limits import JsonRoute

__all__ = ["router"]

router = APIRouter(route_class=JsonRoute, tags=["health"])


@router.get("/v1/health", summary="Liveness")
def health() -> dict[str, str]:
    return {"status": "ok"}
