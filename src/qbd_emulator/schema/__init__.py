"""qbXML structures (`catalog`, generated from Intuit's qbXML 7.0 catalogue) and the reading of a
request element against them (`read`)."""

from __future__ import annotations

from qbd_emulator.schema.catalog import KNOWN_REQUESTS, REQUESTS, RETS
from qbd_emulator.schema.nodes import Node

__all__ = ["KNOWN_REQUESTS", "REQUESTS", "RETS", "Node", "request", "ret"]

_REQUEST_NODES: dict[str, tuple[tuple[str, ...], Node]] = {
    name: (attrs, Node(name, "", "", 0, (), children))
    for name, (attrs, children) in REQUESTS.items()
}
_RET_NODES: dict[str, Node] = {
    name: Node(name, "", "", 0, (), children) for name, children in RETS.items()
}


def request(name: str) -> tuple[tuple[str, ...], Node] | None:
    """The attributes a request takes and its structure, or None when it is not emulated."""
    return _REQUEST_NODES.get(name)


def ret(name: str) -> Node:
    return _RET_NODES[name]
