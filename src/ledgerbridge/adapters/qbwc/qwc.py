"""The .qwc file a bookkeeper adds to the Web Connector on the PC (G ch. 4, qbd-reference §2):
the service's URL, the user name (the password is typed into the Web Connector, never put in
the file), the OwnerID and FileID GUIDs that stay the same for the connection's life, QuickBooks
Desktop (not Point of Sale), a schedule, and read-write access."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

__all__ = ["QwcFile", "render"]


@dataclass(frozen=True, slots=True)
class QwcFile:
    app_name: str
    app_url: str
    app_support: str
    username: str
    owner_id: str
    file_id: str
    description: str = "Keeps the app's records in step with QuickBooks"
    every_minutes: int = 15


def render(qwc: QwcFile) -> bytes:
    root = etree.Element("QBWCXML")
    for tag, text in (
        ("AppName", qwc.app_name),
        ("AppID", ""),
        ("AppURL", qwc.app_url),
        ("AppDescription", qwc.description[:80]),
        ("AppSupport", qwc.app_support),
        ("UserName", qwc.username),
        ("OwnerID", qwc.owner_id),
        ("FileID", qwc.file_id),
        ("QBType", "QBFS"),
    ):
        etree.SubElement(root, tag).text = text
    scheduler = etree.SubElement(root, "Scheduler")
    etree.SubElement(scheduler, "RunEveryNMinutes").text = str(qwc.every_minutes)
    etree.SubElement(root, "IsReadOnly").text = "false"
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)
