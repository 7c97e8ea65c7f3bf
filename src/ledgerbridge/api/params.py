"""`text_params`: every path and query parameter of the API is text, or the request is a 422.

A path or a query string can carry what a JSON body can (``%00`` decodes to NUL), and each
such value goes on to the database (a connection id, a search, a cursor): PostgreSQL refuses
NUL with an error, SQLite stores it. The rule is `core.text.refused` for single-line values,
asked once for every route (`create_app` adds it to each router) before the route runs.

The OAuth callback and the connect link answer a person's browser, not an app, and check
their own parameters.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from ledgerbridge.api.schemas import TEXT_PATTERN
from ledgerbridge.core.problems import INPUT_INVALID, Problem
from ledgerbridge.core.text import refused
from ledgerbridge.engine.errors import Invalid

__all__ = ["OWN_CHECKS", "document", "text_params"]

OWN_CHECKS = frozenset({"/v1/oauth/callback", "/v1/oauth/reconnect", "/v1/oauth/start"})
"""Routes that check their parameters themselves (they answer a browser with a page)."""

# path parameters as the service names them in its problems
_NAMES = {"record_id": "id", "record_type": "type"}


def text_params(request: Request) -> None:
    """Invalid (422) naming each path or query parameter that is not single-line text."""
    route = request.scope.get("route")
    if getattr(route, "path", None) in OWN_CHECKS:
        return
    problems: list[Problem] = []
    given = [(_NAMES.get(k, k), v) for k, v in request.path_params.items()]
    for name, value in [*given, *request.query_params.multi_items()]:
        shown = name if refused(name) is None else json.dumps(name)
        for part, what in ((name, "its name"), (value, "it")):
            why = refused(part) if isinstance(part, str) else None
            if why is not None:
                message = f"{what} {why}"  # the error's answer puts the field first
                problems.append(Problem(INPUT_INVALID, shown, message, {"reason": why}))
                break
    if problems:
        raise Invalid(problems)


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document saying the rule: every string path or query parameter without a
    pattern or a list of values of its own takes `TEXT_PATTERN`."""
    for path, item in schema.get("paths", {}).items():
        if path in OWN_CHECKS:
            continue
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                for typed in _strings(parameter.get("schema", {})):
                    if "pattern" not in typed and "enum" not in typed and "const" not in typed:
                        typed["pattern"] = TEXT_PATTERN
    return schema


def _strings(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The string schemas of a parameter's schema (itself, or the branches of an anyOf)."""
    if schema.get("type") == "string":
        return [schema]
    return [branch for branch in schema.get("anyOf", []) if branch.get("type") == "string"]
