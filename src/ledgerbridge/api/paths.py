"""The API's operations as its OpenAPI document lists them, found by a request's path.

Middleware runs before routing, and a 405 is answered by a router that knows only the first
route it tried; both need "what does this path take" without relying on how a given FastAPI
version nests its routes. The OpenAPI document is the contract and says it all: the path
templates, their methods, and which operations need an API key (`security`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Operation", "Paths", "paths_of", "route_path"]

_PARAMETER = re.compile(r"\\\{([A-Za-z_][A-Za-z0-9_]*)\\\}")
_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


@dataclass(frozen=True, slots=True)
class Operation:
    method: str  # upper case, as in the request
    path: str  # the template, "/v1/connections/{connection_id}"
    needs_key: bool


class Paths:
    """Path templates of one OpenAPI document, matched as FastAPI matches them (a parameter is
    one path segment); a literal template wins over one with parameters."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        entries = []
        for template, item in document.get("paths", {}).items():
            operations = {
                method.upper(): Operation(method.upper(), template, bool(spec.get("security")))
                for method, spec in item.items()
                if method in _METHODS
            }
            pattern = _PARAMETER.sub(r"[^/]+", re.escape(template))
            entries.append((template.count("{"), re.compile(f"^{pattern}$"), operations))
        entries.sort(key=lambda entry: entry[0])
        self._entries = [(pattern, operations) for _, pattern, operations in entries]

    def methods(self, path: str) -> list[str] | None:
        """The methods the path takes, or None for a path the document does not describe."""
        operations = self._find(path)
        return None if operations is None else sorted(operations)

    def operation(self, method: str, path: str) -> Operation | None:
        operations = self._find(path)
        return None if operations is None else operations.get(method)

    def _find(self, path: str) -> dict[str, Operation] | None:
        for pattern, operations in self._entries:
            if pattern.match(path):
                return operations
        return None


def paths_of(app: Any) -> Paths:
    """The `Paths` of a FastAPI app's own document, made once (the document is cached too)."""
    found = getattr(app.state, "openapi_paths", None)
    if not isinstance(found, Paths):
        found = Paths(app.openapi())
        app.state.openapi_paths = found
    return found


def route_path(scope: Mapping[str, Any]) -> str:
    """The request's path as the routes see it (without the `root_path` it is served under)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path
