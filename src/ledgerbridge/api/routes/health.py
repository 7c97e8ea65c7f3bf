"""`GET /v1/health`: the process answers (no API key)."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/v1/health", summary="Liveness")
def health() -> dict[str, str]:
    return {"status": "ok"}
