"""Write docs/catalog.md from the issue catalog (`ledgerbridge.core.catalog`).

    .venv/bin/python scripts/catalog_doc.py          # rewrite docs/catalog.md
    .venv/bin/python scripts/catalog_doc.py --check  # exit 1 if it is out of date

The test suite regenerates the page in memory and compares, so edit the catalog, not the page.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ledgerbridge.core import catalog

DOC_PATH = Path(__file__).resolve().parent.parent / "docs" / "catalog.md"

SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Connection", ("connection",)),
    ("Customers, properties and jobs", ("customer", "property", "record")),
    ("Items, accounts, classes and tax", ("item", "class", "tax")),
    ("Invoices", ("invoice",)),
    ("Payments", ("payment",)),
    (
        "Vendors, receipts, bills and purchase orders",
        ("vendor", "receipt", "bill", "purchase_order"),
    ),
    ("Keeping up with QuickBooks", ("mirror",)),
    ("Other QuickBooks refusals", ("quickbooks",)),
    ("Details the app sent", ("input",)),
)

# What each screen a fix step links to is called here (`catalog.Screen`)
SCREENS: dict[str, str] = {
    "connection": "connection page",
    "reconnect": "connection page's Reconnect QuickBooks button",
    "setup": "setup checklist",
    "reconciliation": "reconciliation report",
    "mappings.tax_rates": "tax rate mappings",
    "mappings.payment_methods": "payment method mappings",
    "mappings.accounts": "account mappings",
    "mappings.classes": "class mappings",
}

INTRO = """\
# Sync problems and how to fix them

This page lists every problem ledgerbridge can report while it keeps your business app and
QuickBooks in step. Each record in the sync log shows its current problem with the same title
and explanation as here, and the buttons listed under "One-click fixes".

For each problem you will find:

- **What it means**: what happened and why it matters.
- **How to fix it**: the steps, in order. Many problems need nothing from you. A step that
  names a screen (the mappings, the setup checklist, the connection page...) links to it on
  the dashboard.
- **Retried by itself**: "Yes" means ledgerbridge keeps trying on its own; "No" means it waits
  for you (or for a change in the app) before trying again.
- **One-click fixes**: the buttons the dashboard offers for it.

Text in the dashboard names the actual invoice number, customer name, field and so on; this
page uses general wording instead. "The app" means the business software your records come
from; "QuickBooks" means your QuickBooks company. The code under each heading (for example
`invoice.number_conflict`) is the name the app and support staff use for the problem.

Problems marked "whole connection" affect every record of the QuickBooks company until they
are resolved; the others concern a single record.
"""


def _section_of(code: str) -> str:
    family = code.split(".", 1)[0]
    for title, families in SECTIONS:
        if family in families:
            return title
    raise ValueError(f"no documentation section for {code!r}: add its family to SECTIONS")


def render_markdown() -> str:
    """The whole page, as docs/catalog.md must hold it."""
    by_section: dict[str, list[catalog.CatalogEntry]] = {title: [] for title, _ in SECTIONS}
    for item in catalog.ENTRIES.values():
        by_section[_section_of(item.code)].append(item)
    out = [INTRO]
    out.append("## Contents\n")
    for title, entries in by_section.items():
        if entries:
            links = ", ".join(f"[`{e.code}`](#{e.docs_anchor})" for e in entries)
            out.append(f"- {title}: {links}")
    out.append("")
    for title, entries in by_section.items():
        if not entries:
            continue
        out.append(f"## {title}\n")
        for item in entries:
            out.append(_entry_markdown(item))
    out.append("## The one-click fixes\n")
    out.append(
        "Every fix is refused, with the reason, when it does not apply to the record's problem "
        "at that moment, and every fix that runs is written to the audit log: who, when, and the "
        "record's state before and after.\n"
    )
    for action in catalog.ACTIONS:
        out.append(
            f"- **{catalog.ACTION_LABELS[action]}** (`{action}`): {catalog.ACTION_HELP[action]}"
        )
    out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _entry_markdown(item: catalog.CatalogEntry) -> str:
    shown = catalog.render(item)
    scope = "whole connection" if item.level == "connection" else "one record"
    lines = [
        f'<a id="{item.docs_anchor}"></a>',
        "",
        f"### {item.code}",
        "",
        f"**{shown.title}** ({scope})",
        "",
        "**What it means.** " + shown.meaning,
        "",
        "**How to fix it.**",
        "",
    ]
    lines.extend(
        f"{number}. {step}" + (f" *(The dashboard links the {SCREENS[screen]}.)*" if screen else "")
        for number, (step, screen) in enumerate(zip(shown.fix, shown.screens, strict=True), 1)
    )
    lines.append("")
    retried = "Yes" if item.retriable else "No"
    lines.append(f"**Retried by itself:** {retried}.")
    lines.append("")
    buttons = [catalog.ACTION_LABELS[a] for a in shown.actions if a != "edit_in_app"]
    lines.append(f"**One-click fixes:** {'; '.join(buttons) if buttons else 'none'}.")
    lines.append("")
    desktop = catalog.DESKTOP_ENTRIES.get(item.code)
    if desktop is not None:
        words = catalog.render(desktop)
        lines.extend(
            [
                f"**On QuickBooks Desktop: {words.title}.** {words.meaning}",
                "",
                *(f"{number}. {step}" for number, step in enumerate(words.fix, 1)),
                "",
                "One-click fixes on QuickBooks Desktop: "
                + ("; ".join(catalog.ACTION_LABELS[a] for a in words.actions) or "none")
                + ".",
                "",
            ]
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    text = render_markdown()
    if "--check" in argv:
        current = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.exists() else ""
        if current != text:
            print(f"{DOC_PATH} is out of date: run scripts/catalog_doc.py", file=sys.stderr)
            return 1
        return 0
    DOC_PATH.parent.mkdir(parents=True, exist_ok=True)
    DOC_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {DOC_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
