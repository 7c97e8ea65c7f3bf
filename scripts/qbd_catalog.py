"""Write src/qbd_emulator/schema/catalog.py from Intuit's qbXML 7.0 catalogue.

    .venv/bin/python scripts/qbd_catalog.py PATH/TO/qbxmlops70.xml

`qbxmlops70.xml` is Intuit's sample of every qbXML 7.0 request and answer, one element a line,
each annotated (`opt`, `may rep`, `max length = 41 for QBD|...`, `not in QBD`, `v6.0`, "X may
have one of the following values: ..."); a copy is in the public repository
consolibyte/quickbooks-php, `data/qbxmlops70.xml`. This script reads those annotations (the
QuickBooks Desktop ones) into `Node`s for the requests and answers the emulator answers, adds
`ExternalGUID` (qbXML 8.0+) before the lines of the emulated Adds and Rets, and makes the
members of "0 or more X OR Y" line groups optional and repeatable.

`ClassModRq` is not in the 7.0 catalogue (qbXML 8.0+, as `ExternalGUID`): it is written from
`ClassAddRq` the way the catalogue writes every list's Mod (`ListID`, `EditSequence` 16, then
the Add's elements, `Name` optional), as the current OSR has it.
"""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "src" / "qbd_emulator" / "schema" / "catalog.py"
LISTS = ["Customer", "Vendor", "ItemService", "ItemNonInventory", "ItemInventory"]
TXNS = ["Invoice", "ReceivePayment", "Bill", "Check", "CreditCardCharge", "PurchaseOrder"]
REQUESTS = [f"{o}{verb}Rq" for o in LISTS + TXNS for verb in ("Add", "Mod", "Query")] + [
    "HostQueryRq", "CompanyQueryRq", "PreferencesQueryRq", "AccountQueryRq", "EmployeeQueryRq",
    "OtherNameQueryRq", "PaymentMethodQueryRq", "TermsQueryRq", "SalesTaxCodeQueryRq",
    "ItemQueryRq", "ListDelRq", "TxnDelRq", "TxnVoidRq", "ListDeletedQueryRq", "TxnDeletedQueryRq",
    "ListMergeRq", "ClassAddRq", "ClassQueryRq",
]  # fmt: skip
ADDED = ["ClassModRq"]  # not in qbXML 7.0: written from the Add (`class_mod`)
RETS = [f"{o}Ret" for o in LISTS + TXNS] + [
    "HostRet", "CompanyRet", "PreferencesRet", "AccountRet", "EmployeeRet", "OtherNameRet",
    "PaymentMethodRet", "StandardTermsRet", "DateDrivenTermsRet", "SalesTaxCodeRet",
    "ListDeletedRet", "TxnDeletedRet", "ClassRet",
]  # fmt: skip
LINE_ADDS = ("LineAdd", "LineGroupAdd", "AppliedToTxnAdd", "LinkToTxnID", "SetCredit")
LINE_RETS = ("LineRet", "LineGroupRet", "AppliedToTxnRet", "LinkedTxn", "DataExtRet")
LINE = re.compile(
    r"(LineAdd|LineGroupAdd|GroupLineAdd|LineMod|LineGroupMod|GroupLineMod|LineRet|LineGroupRet"
    r"|GroupLineRet)$"
)

_LEAF = re.compile(r"^\s*<(\w+)>(\w+)</\1>\s*(?:<!--(.*)-->)?\s*$")
_OPEN = re.compile(r'^\s*<(\w+)((?:\s+\w+\s*=\s*"[^"]*")*)\s*(/?)>\s*(?:<!--(.*)-->)?\s*$')
_CLOSE = re.compile(r"^\s*</(\w+)>\s*$")
_ENUM = re.compile(r"<!--\s*(\w+) may have one of the following values: (.*?)\s*-->")


def _meta(comment: str | None) -> dict[str, Any]:
    text = comment or ""
    meta: dict[str, Any] = {}
    if text.strip().startswith("opt"):
        meta["opt"] = True
    if re.search(r"\brep\b", text):
        meta["rep"] = True
    for found in re.finditer(r"max length = (\d+)(?: for ([A-Z|]+))?", text):
        if found.group(2) is None or "QBD" in found.group(2).split("|"):
            meta["max"] = int(found.group(1))
    for found in re.finditer(r"not in ([A-Z|]+)", text):
        if "QBD" in found.group(1).split("|"):
            meta["notqbd"] = True
    return meta


def parse(text: str) -> dict[str, Any]:
    root: dict[str, Any] = {"name": "ROOT", "children": []}
    stack = [root]
    enums: dict[str, list[str]] = {}
    for line in text.splitlines():
        found = _ENUM.search(line)
        if found:
            values = [v.strip().replace(" [DEFAULT]", "") for v in found.group(2).split(",")]
            enums[found.group(1)] = values
            continue
        leaf = _LEAF.match(line)
        if leaf:
            node = {"name": leaf.group(1), "type": leaf.group(2), **_meta(leaf.group(3))}
            if leaf.group(1) in enums:
                node["enum"] = enums.pop(leaf.group(1))
            stack[-1]["children"].append(node)
            continue
        close = _CLOSE.match(line)
        if close:
            assert stack[-1]["name"] == close.group(1), line
            stack.pop()
            continue
        opened = _OPEN.match(line)
        if opened:
            attrs = re.findall(r'(\w+)\s*=\s*"[^"]*"', opened.group(2) or "")
            node = {
                "name": opened.group(1),
                "attrs": attrs,
                "children": [],
                **_meta(opened.group(4)),
            }
            stack[-1]["children"].append(node)
            if not opened.group(3):
                stack.append(node)
    return root


def find(node: dict[str, Any], name: str) -> dict[str, Any]:
    if node["name"] == name:
        return node
    for child in node.get("children", []):
        try:
            return find(child, name)
        except KeyError:
            continue
    raise KeyError(name)


def add_guid(node: dict[str, Any]) -> None:
    children = node.get("children")
    if children is None:
        return
    if node["name"].endswith("Add") and node["name"][:-3] in LISTS + TXNS:
        marks = LINE_ADDS
    elif node["name"].endswith("Ret") and node["name"][:-3] in LISTS + TXNS:
        marks = LINE_RETS
    else:
        return
    guid = {"name": "ExternalGUID", "type": "GUIDTYPE", "opt": True}
    for index, child in enumerate(children):
        if child["name"].endswith(marks):
            children.insert(index, guid)
            return
    children.append(guid)


def class_mod(root: dict[str, Any]) -> dict[str, Any]:
    """`ClassModRq` (qbXML 8.0+): `ClassMod` {ListID, EditSequence, the Add's elements}."""
    add = copy.deepcopy(find(root, "ClassAddRq"))
    body = next(c for c in add["children"] if c["name"] == "ClassAdd")
    fields = [{**c, "opt": True} if c["name"] == "Name" else c for c in body["children"]]
    body["name"] = "ClassMod"
    body["children"] = [
        {"name": "ListID", "type": "IDTYPE"},
        {"name": "EditSequence", "type": "STRTYPE", "max": 16},
        *fields,
    ]
    add["name"] = "ClassModRq"
    return add


def emit(node: dict[str, Any], depth: int) -> str:
    if node.get("notqbd"):
        return ""
    kids = "".join(emit(child, depth + 1) for child in node.get("children", []))
    flags = ("o" if node.get("opt") else "") + ("r" if node.get("rep") else "")
    if LINE.search(node["name"]):
        flags = "or"
    pad = "    " * depth
    if kids:
        return f"{pad}N({node['name']!r}, {flags!r}, (\n{kids}{pad})),\n"
    if "type" not in node:
        return f"{pad}N({node['name']!r}, {flags!r}, ()),\n"
    enum = f", {tuple(node['enum'])!r}" if node.get("enum") else ""
    kind = node["type"][:-4].lower()
    return f"{pad}L({node['name']!r}, {kind!r}, {flags!r}, {node.get('max', 0)}{enum}),\n"


def main(source: Path) -> None:
    root = parse(source.read_text(encoding="utf-8"))
    out = [
        '"""qbXML 7.0 request and answer structures, generated from Intuit\'s catalogue '
        "qbxmlops70.xml\nby scripts/qbd_catalog.py (see docs/emulator-desktop.md); ExternalGUID "
        "(qbXML 8.0+) added\nbefore the lines, ClassModRq (8.0+) written from ClassAddRq. Do not "
        'edit by hand."""\n\n'
        "from qbd_emulator.schema.nodes import L, N\n\nREQUESTS = {\n"
    ]
    for name in REQUESTS + ADDED:
        node = class_mod(root) if name == "ClassModRq" else find(root, name)
        for child in node["children"]:
            add_guid(child)
        body = "".join(emit(child, 2) for child in node["children"])
        out.append(f"    {name!r}: ({tuple(node.get('attrs', []))!r}, (\n{body}    )),\n")
    out.append("}\n\nRETS = {\n")
    for name in RETS:
        node = find(root, name)
        add_guid(node)
        body = "".join(emit(child, 2) for child in node["children"])
        out.append(f"    {name!r}: (\n{body}    ),\n")
    out.append("}\n\n# Every request of the qbXML 7.0 catalogue QuickBooks Desktop answers ")
    out.append("(emulated or not).\nKNOWN_REQUESTS = frozenset(\n    {\n")
    requests = find(root, "QBXMLMsgsRq")["children"]
    known = {r["name"] for r in requests if not r.get("notqbd")} | set(ADDED)
    for name in sorted(known):
        out.append(f"        {name!r},\n")
    out.append("    }\n)\n")
    OUT.write_text("".join(out), encoding="utf-8")
    ruff = Path(sys.executable).parent / "ruff"
    subprocess.run([str(ruff), "format", str(OUT)], check=True, capture_output=True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
