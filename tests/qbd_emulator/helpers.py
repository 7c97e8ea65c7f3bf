"""qbXML for the tests: a message set around request bodies, and the reading of its answer."""

from __future__ import annotations

from lxml import etree

from qbd_emulator.emulator import Emulator
from qbd_emulator.model import Company


def message(*requests: str, on_error: str = "stopOnError", version: str = "13.0") -> str:
    body = "".join(requests)
    return (
        f'<?xml version="1.0" encoding="utf-8"?><?qbxml version="{version}"?>'
        f'<QBXML><QBXMLMsgsRq onError="{on_error}">{body}</QBXMLMsgsRq></QBXML>'
    )


def send(
    emulator: Emulator, company: Company, *requests: str, on_error: str = "stopOnError"
) -> list[etree._Element]:
    """The `…Rs` elements answering the requests (a processor error is raised)."""
    answer, error = emulator.process_direct(company, message(*requests, on_error=on_error))
    if error is not None:
        raise error
    root = etree.fromstring(answer.encode())
    return list(root.find("QBXMLMsgsRs"))


def one(emulator: Emulator, company: Company, request: str) -> etree._Element:
    (rs,) = send(emulator, company, request)
    return rs


def code(rs: etree._Element) -> int:
    return int(rs.get("statusCode", "-1"))


def customer_add(name: str, parent: str | None = None, rid: str = "1") -> str:
    ref = f"<ParentRef><FullName>{parent}</FullName></ParentRef>" if parent else ""
    return (
        f'<CustomerAddRq requestID="{rid}"><CustomerAdd><Name>{name}</Name>'
        f"{ref}</CustomerAdd></CustomerAddRq>"
    )


def invoice_add(
    customer: str,
    *,
    ref: str | None = "1001",
    date: str = "2026-11-20",
    item: str = "Labor",
    qty: str = "2",
) -> str:
    number = f"<RefNumber>{ref}</RefNumber>" if ref is not None else ""
    return (
        f"<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>{customer}</FullName></CustomerRef>"
        f"<TxnDate>{date}</TxnDate>{number}<InvoiceLineAdd><ItemRef><FullName>"
        f"{item}</FullName></ItemRef>"
        f"<Quantity>{qty}</Quantity></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>"
    )
