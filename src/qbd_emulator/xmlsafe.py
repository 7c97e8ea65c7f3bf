"""Reading untrusted XML: lxml with entity resolution, DTD loading and network access off, no
huge trees, and a size cap. Anything that is not a plain XML document is refused as unreadable."""

from __future__ import annotations

from typing import Any

from lxml import etree

MAX_BYTES = 8 * 1024 * 1024


class Unreadable(ValueError):
    """Not a well-formed, plain XML document (or a document declaring a DTD or entities)."""


def parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=False,
    )


def parse(data: str | bytes) -> etree._Element:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_BYTES:
        raise Unreadable("the document is too large")
    try:
        root = etree.fromstring(raw, parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise Unreadable(str(exc)) from None
    if root is None:
        raise Unreadable("empty document")
    info: Any = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise Unreadable("a document type declaration is not allowed")
    for node in root.iter():
        if isinstance(node, etree._Entity):
            raise Unreadable("entities are not allowed")
    return root


def local(tag: object) -> str:
    """The local name of an element's tag (`{ns}name` or `name`); "" for comments and PIs."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]
