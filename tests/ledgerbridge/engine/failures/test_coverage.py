"""Every entry of failure-modes.md has an end-to-end test in this folder."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from ledgerbridge.core import catalog

HERE = Path(__file__).parent
LIST = Path(__file__).resolve().parents[5] / "shared" / "failure-modes.md"

# Found since the list was written (catalog: "added"); tested here too, but not required.
ADDED = {
    catalog.CONNECTION_PERMISSION_MISSING,
    catalog.CONNECTION_SECRET_KEYS_CHANGED,
    catalog.CUSTOMER_HAS_OPEN_BALANCE,
    catalog.PAYMENT_DEPOSITED,
    catalog.PAYMENT_METHOD_NOT_TAKEN_BY_APP,
    catalog.VENDOR_INACTIVE_IN_QUICKBOOKS,
    catalog.VENDOR_NOT_SYNCED,
    catalog.VENDOR_MERGED_IN_QUICKBOOKS,
    "receipt.deleted_in_quickbooks",
    "bill.deleted_in_quickbooks",
    catalog.RECORD_CHANGED_IN_QUICKBOOKS,
    catalog.RECORD_UNREADABLE,
    catalog.CONNECTION_RECONNECT_SOON,
    catalog.RECORD_LINK_TARGET_MISSING,
    catalog.RECORD_LINK_TARGET_TAKEN,
    catalog.RECORD_IN_USE_IN_QUICKBOOKS,
    # QuickBooks Desktop: what the Web Connector reports about the PC
    catalog.CONNECTION_QUICKBOOKS_CLOSED,
    catalog.CONNECTION_SINGLE_USER_NEEDED,
    catalog.CONNECTION_QUICKBOOKS_ACCESS_DENIED,
    catalog.CONNECTION_WEB_CONNECTOR_PASSWORD_REFUSED,
    catalog.CONNECTION_WEB_CONNECTOR_ERROR,
    catalog.CONNECTION_QUICKBOOKS_TOO_OLD,
    catalog.ITEM_CATEGORY_READ_ONLY,
}


def listed_codes() -> set[str]:
    codes = set(catalog.codes()) - ADDED
    return {c for c in codes if not c.startswith("input.")}


def covered_codes() -> dict[str, list[str]]:
    """code -> the tests that carry @pytest.mark.failure_mode(code)."""
    found: dict[str, list[str]] = {}
    for path in sorted(HERE.glob("test_*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test_"):
                continue
            for decorator in node.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and getattr(decorator.func, "attr", None) == "failure_mode"
                ):
                    for arg in decorator.args:
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                            found.setdefault(arg.value, []).append(f"{path.name}::{node.name}")
    return found


def test_the_catalog_holds_exactly_the_listed_codes() -> None:
    if not LIST.exists():
        pytest.skip("failure-modes.md is not beside this checkout")
    text = LIST.read_text()
    listed = set(re.findall(r"^\| ([a-z_]+\.[a-z_]+)(?: / ([a-z_]+\.[a-z_]+))? \|", text, re.M))
    codes = {code for pair in listed for code in pair if code}
    assert codes == listed_codes()


def test_every_listed_failure_has_an_end_to_end_test() -> None:
    covered = covered_codes()
    missing = sorted(listed_codes() - set(covered))
    assert not missing, f"no end-to-end test provokes: {missing}"
    unknown = sorted(set(covered) - set(catalog.codes()))
    assert not unknown, f"tests name codes the catalog does not know: {unknown}"
