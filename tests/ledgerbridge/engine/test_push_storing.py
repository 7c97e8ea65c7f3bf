"""A push pass writes what it concluded only through `Pass.storing()` (`push.work.storing`: the
connection's row held and its company checked, the lease kept): a store that opened a writing
session of its own could forget the check, and store the old company's conclusions onto a
connection a person started fresh in another company (the review of 2026-12-07 found four).
This reads push/'s source and finds every writing session (`….db.session()` without
`readonly=True`) outside the few places that are not a pass's conclusions."""

from __future__ import annotations

import ast
from pathlib import Path

import ledgerbridge.engine.push as push

# (module, function): where push/ may open a writing session of its own, and why
ALLOWED = {
    ("work.py", "storing"): "the one transaction a pass's conclusions are stored in",
    ("work.py", "HeldLease.keep"): "the lease renewed between records: it stores nothing else",
    ("lease.py", "sync_company"): "the lease taken before the pass, and given back after it",
}


def _writing_sessions(path: Path) -> list[tuple[str, int]]:
    """(function, line) of each `<…>.db.session(...)` call without `readonly=True`."""
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, scope: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                visit(child, [*scope, child.name])
                continue
            if isinstance(child, ast.Call) and _is_session(child.func) and not _readonly(child):
                found.append((".".join(scope), child.lineno))
            visit(child, scope)

    visit(ast.parse(path.read_text(), str(path)), [])
    return found


def _is_session(func: ast.expr) -> bool:
    """`<…>.db.session` or `db.session`."""
    if not isinstance(func, ast.Attribute) or func.attr != "session":
        return False
    owner = func.value
    return (isinstance(owner, ast.Attribute) and owner.attr == "db") or (
        isinstance(owner, ast.Name) and owner.id == "db"
    )


def _readonly(call: ast.Call) -> bool:
    return any(
        k.arg == "readonly" and isinstance(k.value, ast.Constant) and k.value.value is True
        for k in call.keywords
    )


def test_a_pass_writes_only_through_its_storing_transaction() -> None:
    folder = Path(push.__file__).parent
    found = [
        (path.name, function, line)
        for path in sorted(folder.glob("*.py"))
        for function, line in _writing_sessions(path)
    ]
    stray = [
        f"{name}:{line} in {function}"
        for name, function, line in found
        if (name, function) not in ALLOWED
    ]
    assert not stray, (
        "a writing session of its own in push/: store through `p.storing()` (the company "
        f"checked, the lease kept), or read with readonly=True: {stray}"
    )
    assert {(name, function) for name, function, _ in found} == set(ALLOWED), (
        "ALLOWED names a place that no longer writes"
    )


def test_the_scan_finds_a_writing_session(tmp_path: Path) -> None:
    """The scan itself: a store's own session is found, a read-only one is not."""
    source = tmp_path / "store.py"
    source.write_text(
        "def store(p):\n"
        "    with p.ledger.db.session() as session:\n"
        "        pass\n"
        "    with p.ledger.db.session(readonly=True) as session:\n"
        "        pass\n"
        "    db = p.ledger.db\n"
        "    with db.session() as session:\n"
        "        pass\n"
    )
    assert _writing_sessions(source) == [("store", 2), ("store", 7)]
