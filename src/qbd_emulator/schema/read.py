"""A request element read against its structure: names and order as the schema has them (else the
whole message is a parse error, as QuickBooks validates before it runs anything), then values:
types, allowed values and the Desktop maximum lengths (statuses 3020, 3070).

The result is a plain tree: a leaf is its text, a group a dict, a repeating element a list.
Type problems are collected, not raised, so that the schema check of the whole message comes
first; the request that holds one answers its status when it runs.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from qbd_emulator import statuses
from qbd_emulator.schema.nodes import Node
from qbd_emulator.xmlsafe import local

Tree = dict[str, Any]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}:\d{2}([+-]\d{2}:\d{2})?)?$")
_GUID = re.compile(
    r"^(\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}|0)$"
)
_INT = re.compile(r"^-?\d{1,9}$")
EARLIEST = date(1970, 1, 1)
LATEST = date(2038, 1, 19)


def read(element: etree._Element, node: Node, problems: list[statuses.StatusError]) -> Tree:
    """The children of `element` as `node` allows them; raises the parse error otherwise."""
    if (element.text or "").strip():
        raise statuses.parse_error()
    tree: Tree = {}
    position = 0
    order = node.children
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = local(child.tag)
        if child.tag != name:  # qbXML has no namespace
            raise statuses.parse_error()
        index = next((i for i in range(position, len(order)) if order[i].name == name), None)
        if index is None and position and _choice(order[position - 1], name):
            index = next(i for i, spec in enumerate(order) if spec.name == name)
        if index is None:
            raise statuses.parse_error()  # unknown, out of order, or repeated when it may not
        spec = order[index]
        position = index if spec.repeats else index + 1
        value = read(child, spec, problems) if spec.is_group else _leaf(child, spec, problems)
        if spec.repeats:
            tree.setdefault(name, []).append(value)
        else:
            tree[name] = value
    return tree


def _choice(previous: Node, name: str) -> bool:
    """Lines and group lines interleave (`InvoiceLineAdd` / `InvoiceLineGroupAdd`, `ItemLineAdd`
    / `ItemGroupLineAdd`): the schema has them as one repeated choice."""
    if not previous.repeats:
        return False
    return previous.name.replace("Group", "") == name.replace("Group", "")


def _leaf(element: etree._Element, spec: Node, problems: list[statuses.StatusError]) -> str:
    if len(element):
        raise statuses.parse_error()
    text = element.text or ""
    value = text.strip() if spec.type != "str" else text
    kind = spec.type
    if kind == "str":
        if spec.max and len(value) > spec.max:
            problems.append(statuses.too_long(value, spec.name))
    elif kind == "enum":
        if value not in spec.enum:
            raise statuses.parse_error()
    elif kind == "bool":
        if value not in ("true", "false"):
            raise statuses.parse_error()
    elif kind == "date":
        if not _valid_date(value):
            problems.append(statuses.bad_date(value, spec.name))
    elif kind == "datetime":
        match = _DATETIME.match(value)
        if not match or not _valid_date(match.group(1)) or not _valid_time(value):
            problems.append(statuses.bad_date(value, spec.name))
    elif kind in ("amt", "quan", "price", "percent"):
        if not _decimal(value):
            problems.append(statuses.bad_number(value, spec.name))
    elif kind == "int":
        if not _INT.match(value):
            problems.append(statuses.bad_number(value, spec.name))
    elif kind == "guid":
        if not _GUID.match(value):
            problems.append(statuses.invalid_id(value, spec.name))
    elif kind == "id" and (not value or len(value) > 36):
        problems.append(statuses.invalid_id(value, spec.name))
    return value


def _valid_date(value: str) -> bool:
    if not _DATE.match(value):
        return False
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return False
    return EARLIEST <= day <= LATEST


def _valid_time(value: str) -> bool:
    if "T" not in value:
        return True
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _decimal(value: str) -> bool:
    if not re.match(r"^-?\d{0,15}(\.\d{0,5})?$", value) or value in ("", "-", ".", "-."):
        return False
    try:
        Decimal(value)
    except InvalidOperation:
        return False
    return True
