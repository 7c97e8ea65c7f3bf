"""The dashboard's words as a bookkeeper reads them, in a real browser (headless Chromium): the
main pages of a busy day (overview, sync log, records with problems, setup checklist,
reconciliation, health) show no field names (``CustomerRef``, ``income_account``, ``_id``), no
"a employee" or "a item", no "1 linked invoices", "QuickBooks" spelt so every time, and one name
per action on a page.

What is read is the text a person sees (`innerText`), without the problem code and the details
for support (`code`, `pre`), which are meant to be copied as they are. Each page leaves a
screenshot."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ledgerbridge.core import catalog
from tests.ledgerbridge.dashboard.browser import Desk
from tests.ledgerbridge.dashboard.busy_day import MARIA, busy_day
from tests.ledgerbridge.engine.failures.conftest import Person, pull, put, sync, view

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# snake_case names, QuickBooks' CamelCase field names and references, ids spelt as in code
FIELD_NAME = re.compile(
    r"\b[a-z]+(?:_[a-z]+)+\b|\b_id\b|\b[A-Z][a-z]+(?:[A-Z][a-z]+)*Ref\b"
    r"|\b(?:DisplayName|DocNumber|TxnDate|SyncToken|PrimaryEmailAddr|IncomeAccount\w*|"
    r"TotalAmt|CustomerMemo|BillAddr|ExpenseAccount\w*|AssetAccount\w*)\b"
)
# "a employee", "a item", "a invoice", "a account", "a estimate" ("a one", "a user" are right)
ARTICLE = re.compile(r"\b[Aa] (?=[aeioAEIO][a-z])")
# one of a thing spoken of as many: "1 linked invoices", "1 records"
ONE_AS_MANY = re.compile(
    r"(?<![\d,.$])\b1 (?:[a-z]+ )?(?:records|invoices|customers|vendors|items|payments|things|"
    r"problems|bills|receipts|changes|numbers|accounts)\b"
)
QUICKBOOKS = re.compile(r"quick\s*books", re.IGNORECASE)

SEEN_TEXT = """() => {
  const copy = document.body.cloneNode(true);
  copy.querySelectorAll('code, pre, script, style, template').forEach(n => n.remove());
  document.body.appendChild(copy);
  copy.style.position = 'absolute';
  const text = copy.innerText;
  copy.remove();
  return text;
}"""

# what each visible button of a form that changes something (POST) does, with its label: the
# action it carries (record page), its operation (bulk actions), or else its form's address
BUTTONS = """() => Array.from(document.querySelectorAll('form[method=post]')).flatMap(form => {
  const path = new URL(form.action, location.href).pathname.split('/').slice(-2).join('/');
  return Array.from(form.querySelectorAll('button[type=submit], button:not([type])'))
    .filter(b => b.offsetParent !== null)
    .map(b => [b.dataset.action || b.value || path, b.innerText.trim()]);
})"""


def read(desk: Desk, path: str, shot: str) -> str:
    """The page's words, after checking them; a screenshot of it."""
    page = desk.page
    page.goto(desk.url(path))
    text: str = page.evaluate(SEEN_TEXT)
    desk.shot(f"wording-{shot}")
    assert not FIELD_NAME.findall(text), (path, FIELD_NAME.findall(text))
    assert not [m.group(0) + text[m.end() : m.end() + 12] for m in ARTICLE.finditer(text)], path
    assert not ONE_AS_MANY.findall(text), (path, ONE_AS_MANY.findall(text))
    spelt = {m.group(0) for m in QUICKBOOKS.finditer(text)}
    assert spelt <= {"QuickBooks"}, (path, spelt)
    labels: dict[str, set[str]] = {}
    pairs: list[Any] = page.evaluate(BUTTONS)
    for action, label in pairs:
        labels.setdefault(action, set()).add(label)
    twice = {action: names for action, names in labels.items() if len(names) > 1}
    assert not twice, (path, twice)
    # a fix step names a button by the label it has ("click Keep QuickBooks' version")
    known = {*catalog.ACTION_LABELS.values(), *(label for _, label in pairs)}
    for found in re.finditer(r"\b[Cc]lick (?:on )?", text):
        after = text[found.end() : found.end() + 60]
        assert any(after.startswith(label) for label in known), (path, after)
    # and the reverse: one label never names two different actions on one page
    actions: dict[str, set[str]] = {}
    for action, label in pairs:
        actions.setdefault(label, set()).add(action)
    assert not {label: a for label, a in actions.items() if len(a) > 1}, (path, actions)
    return text


def test_the_main_pages_speak_plainly_with_one_name_per_action(desk: Desk) -> None:
    desk.connect()
    world = desk.world
    busy_day(world)
    # an employee holds a customer's name ("an employee"), an item's account is unknown there
    Person(world).create("Employee", {"GivenName": "Sam", "FamilyName": "Ortiz"})
    pull(world)
    put(world, "customer", "sam", display_name="Sam Ortiz")
    put(world, "item", "kit", name="Roof Kit", unit_price="50.00", income_account="Roofing Sales")
    sync(world)
    assert view(world, "customer", "sam").status == "error"
    assert view(world, "item", "kit").status == "error"
    employees = [e.get("DisplayName") for e in world.entities("Employee")]
    assert "Sam Ortiz" in employees  # the clash is QuickBooks' own
    desk.page.set_viewport_size({"width": 1366, "height": 900})

    read(desk, "", "overview")
    read(desk, "/log", "log")
    read(desk, "/log?needs=person", "log-needs-a-person")
    sam = read(desk, "/records/customer/sam", "record-name-of-an-employee")
    assert "an employee" in sam
    read(desk, "/records/customer/cus-maria", "record-name-of-a-vendor")
    read(desk, "/records/item/kit", "record-unknown-account")
    read(desk, "/records/invoice/inv-ok", "record-deleted-in-quickbooks")
    read(desk, "/records/invoice/inv-maria", "record-blocked")
    read(desk, "/setup", "setup")
    read(desk, "/mappings", "mappings")
    read(desk, "/settings", "settings")
    read(desk, "/reconciliation", "reconciliation")
    read(desk, "/health", "health")

    # the side-by-side tables: what an action sent differently, what QuickBooks changed since
    desk.open_record("customer", "cus-maria")
    desk.click_action("Differentiate")
    desk.said("Differentiate:")
    sync(world)
    (ann,) = [c for c in world.entities("Customer") if c["DisplayName"] == "Ann Lee"]
    person = Person(world)
    person.update("Customer", ann["Id"], PrimaryEmailAddr={"Address": "ann.lee@example.com"})
    pull(world)
    emails = {
        c["DisplayName"]: c.get("PrimaryEmailAddr", {}).get("Address")
        for c in world.entities("Customer")
    }
    assert emails["Ann Lee"] == "ann.lee@example.com" and f"{MARIA} - 2" in emails
    maria = read(desk, "/records/customer/cus-maria", "record-sent-differently")
    assert f"Differentiate clicked by {desk.email}: renamed to" in maria
    read(desk, "/records/customer/ann", "record-changed-in-quickbooks")
    # what an action says it did is in words too, and it is so in QuickBooks
    desk.click_action("Send the app's version")
    desk.said("the app's email address will be sent over QuickBooks' changes")
    said: str = desk.page.locator("#live").inner_text()
    assert not FIELD_NAME.findall(said), said
    desk.shot("wording-action-said")
    sync(world)
    (ann,) = [c for c in world.entities("Customer") if c["DisplayName"] == "Ann Lee"]
    assert ann["PrimaryEmailAddr"]["Address"] == "ann@example.com"
