"""The issue catalog: every required code, texts an office user can read, safe rendering, and
docs/catalog.md generated from it."""

from __future__ import annotations

import importlib.util
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType

import pytest

from ledgerbridge.core import catalog, problems

ROOT = Path(__file__).resolve().parents[3]
FAILURE_MODES = ROOT.parent / "shared" / "failure-modes.md"

ADDED_CODES = {
    # beyond failure-modes.md: input problems (core.problems) and failures found since
    "input.invalid",
    "input.required",
    "input.unknown_field",
    "payment.deposited",
    "payment.method_not_taken_by_app",
    "item.category_read_only",
    "vendor.inactive_in_quickbooks",
    "vendor.not_synced",
    "vendor.merged_in_quickbooks",
    "connection.permission_missing",
    "connection.secret_keys_changed",
    "connection.reconnect_soon",
    "customer.has_open_balance",
    "receipt.deleted_in_quickbooks",
    "bill.deleted_in_quickbooks",
    "record.changed_in_quickbooks",
    "record.unreadable",
    "record.link_target_missing",
    "record.link_target_taken",
    "record.in_use_in_quickbooks",
    # QuickBooks Desktop: what the Web Connector reports about the PC
    "connection.quickbooks_closed",
    "connection.single_user_needed",
    "connection.quickbooks_too_old",
    "connection.quickbooks_access_denied",
    "connection.web_connector_password_refused",
    "connection.web_connector_error",
}

RETRIABLE = {
    "connection.token_expired",
    "connection.throttled",
    "connection.quickbooks_unavailable",
    "record.in_use_in_quickbooks",  # QuickBooks Desktop: pending, tried again later
    "record.stalled",
    "mirror.stale",
    "customer.edited_concurrently",
    "customer.parent_not_synced",
    "customer.merged_in_quickbooks",
    "vendor.merged_in_quickbooks",
    "invoice.customer_not_synced",
    "invoice.item_not_synced",
    "payment.invoice_not_synced",
    "vendor.not_synced",
    "item.not_matched",
}

# Words an office user should never have to read.
JARGON = (
    "SyncToken",
    "realm",
    "HTTP",
    "API",
    "JSON",
    "null",
    "exception",
    "stack",
    "token",
    "webhook",
    "payload",
    "endpoint",
    "DocNumber",
    "TxnId",
    "DisplayName",
    "mirror",
    "preflight",
    "boolean",
)
_JARGON = re.compile(r"\b(" + "|".join(JARGON) + r")s?\b", re.IGNORECASE)

ALL = list(catalog.ENTRIES.values())
IDS = [e.code for e in ALL]


def texts(item: catalog.CatalogEntry | catalog.RenderedProblem) -> list[str]:
    return [item.title, item.meaning, *item.fix]


def failure_mode_codes(markdown: str) -> set[str]:
    """First cells of the tables of failure-modes.md ("a / b" names two codes)."""
    found: set[str] = set()
    for line in markdown.splitlines():
        if not line.startswith("|"):
            continue
        first = line.strip("|").split("|", 1)[0].strip()
        for code in (part.strip() for part in first.split("/")):
            if re.fullmatch(r"[a-z_]+\.[a-z_]+", code):
                found.add(code)
    return found


# --- codes ------------------------------------------------------------------------------------


@pytest.mark.skipif(not FAILURE_MODES.exists(), reason="shared/failure-modes.md is not present")
def test_every_failure_mode_is_in_the_catalog_and_nothing_else_is_unexplained() -> None:
    required = failure_mode_codes(FAILURE_MODES.read_text(encoding="utf-8"))
    assert len(required) >= 50
    assert {"vendor.exists_in_quickbooks", "vendor.name_used_by_other_type"} <= required
    assert required - set(catalog.ENTRIES) == set()
    assert set(catalog.ENTRIES) - required == ADDED_CODES


def test_failure_mode_parser_reads_the_table_shapes() -> None:
    sample = (
        "| code | trigger | detected | expected |\n"
        "|---|---|---|---|\n"
        "| connection.token_expired | access token expired | F (3200, 401) | refresh |\n"
        "| vendor.exists_in_quickbooks / vendor.name_used_by_other_type | as for | P/F | x |\n"
    )
    assert failure_mode_codes(sample) == {
        "connection.token_expired",
        "vendor.exists_in_quickbooks",
        "vendor.name_used_by_other_type",
    }


def test_key_codes_are_present() -> None:
    for code in (
        "connection.web_connector_silent",
        "mirror.stale",
        "quickbooks.unknown_error",
        "vendor.exists_in_quickbooks",
        "vendor.name_used_by_other_type",
        *ADDED_CODES,
    ):
        assert catalog.entry(code).code == code


def test_codes_are_unique_well_formed_and_ordered() -> None:
    assert catalog.codes() == tuple(catalog.ENTRIES)
    assert len(set(catalog.codes())) == len(catalog.codes())
    for code in catalog.codes():
        assert re.fullmatch(r"[a-z_]+\.[a-z_]+", code), code


def test_every_code_has_a_constant_and_every_constant_an_entry() -> None:
    for code in catalog.codes():
        name = code.upper().replace(".", "_")
        assert getattr(catalog, name) == code, name
    constants = {
        name: value
        for name, value in vars(catalog).items()
        if name.isupper() and isinstance(value, str) and re.fullmatch(r"[a-z_]+\.[a-z_]+", value)
    }
    assert set(constants.values()) == set(catalog.codes())
    assert catalog.INVOICE_NUMBER_CONFLICT == "invoice.number_conflict"


def test_input_codes_are_those_of_core_problems() -> None:
    assert catalog.INPUT_INVALID == problems.INPUT_INVALID
    assert catalog.INPUT_REQUIRED == problems.INPUT_REQUIRED
    assert catalog.INPUT_UNKNOWN_FIELD == problems.INPUT_UNKNOWN_FIELD
    for code in (catalog.INPUT_INVALID, catalog.INPUT_REQUIRED, catalog.INPUT_UNKNOWN_FIELD):
        item = catalog.entry(code)
        assert (item.level, item.retriable, item.actions) == ("record", False, ("edit_in_app",))


def test_unknown_code_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        catalog.entry("invoice.no_such_thing")


def test_entries_cannot_be_changed() -> None:
    item = catalog.entry(catalog.INVOICE_NO_LINES)
    with pytest.raises(AttributeError):
        item.title = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        catalog.ENTRIES["x.y"] = item  # type: ignore[index]


# --- behaviour fields -------------------------------------------------------------------------


def test_retriable_entries_are_exactly_those_the_engine_retries() -> None:
    assert {e.code for e in ALL if e.retriable} == RETRIABLE


def test_levels() -> None:
    connection = {e.code for e in ALL if e.level == "connection"}
    assert {c for c in catalog.codes() if c.startswith("connection.")} <= connection
    assert connection - {c for c in catalog.codes() if c.startswith("connection.")} == {
        "mirror.stale",
        "invoice.number_sequence_overlap",
    }


@pytest.mark.parametrize("item", ALL, ids=IDS)
def test_actions_are_known_names_without_repeats(item: catalog.CatalogEntry) -> None:
    assert set(item.actions) <= set(catalog.ACTIONS)
    assert len(set(item.actions)) == len(item.actions)


def test_every_action_has_a_label_and_most_are_offered() -> None:
    assert set(catalog.ACTION_LABELS) == set(catalog.ACTIONS)
    offered = {a for e in ALL for a in e.actions}
    # undo_bypass acts on a bypassed record, not on a problem
    assert set(catalog.ACTIONS) - offered == {"undo_bypass"}


@pytest.mark.parametrize(
    ("code", "actions"),
    [
        ("connection.disconnected", ("reconnect",)),
        ("connection.wrong_company", ("reconnect", "unlink")),
        ("customer.duplicate_in_app", ("differentiate", "edit_in_app")),
        ("customer.exists_in_quickbooks", ("link", "differentiate")),
        ("customer.inactive_in_quickbooks", ("reactivate", "accept_quickbooks")),
        ("vendor.inactive_in_quickbooks", ("reactivate", "accept_quickbooks")),
        ("item.inactive_in_quickbooks", ("reactivate", "accept_quickbooks")),
        ("customer.merged_in_quickbooks", ("link", "unlink")),
        ("invoice.voided_in_quickbooks", ("accept_quickbooks", "recreate")),
        ("receipt.deleted_in_quickbooks", ("recreate", "unlink", "accept_deletion")),
        ("bill.deleted_in_quickbooks", ("recreate", "unlink", "accept_deletion")),
        ("property.duplicate_name", ("differentiate",)),
        ("record.field_too_long", ("shorten", "edit_in_app")),
        ("item.account_mismatch", ("accept_quickbooks", "align_account")),
        ("invoice.number_conflict", ("renumber", "retry")),
        ("invoice.number_sequence_overlap", ("apply_numbering_start",)),
        ("invoice.closed_period", ("shift_to_open_period", "retry")),
        ("invoice.deleted_in_quickbooks", ("recreate", "unlink", "accept_deletion")),
        ("invoice.moved_in_quickbooks", ("move_back", "accept_quickbooks")),
        ("payment.already_in_quickbooks", ("link", "bypass")),
        ("payment.invoice_already_paid", ("bypass", "retry")),
        ("payment.reference_too_long", ("shorten", "edit_in_app")),
        ("payment.deleted_in_quickbooks", ("recreate", "unlink", "accept_deletion")),
        ("payment.deposited", ("bypass", "retry")),
        ("receipt.stale_reference", ("unlink",)),
        ("purchase_order.deleted_in_quickbooks", ("recreate", "unlink", "accept_deletion")),
        ("mirror.stale", ("refresh",)),
        ("quickbooks.unknown_error", ("retry", "copy_details")),
        ("invoice.no_lines", ("edit_in_app",)),
        ("customer.name_missing", ("edit_in_app",)),
    ],
)
def test_actions_follow_the_failure_modes(code: str, actions: tuple[str, ...]) -> None:
    assert catalog.entry(code).actions == actions


@pytest.mark.parametrize("item", ALL, ids=IDS)
def test_detected_and_anchor(item: catalog.CatalogEntry) -> None:
    assert re.match(r"[PFSC](/[PFSC])*( \(.+\))?$", item.detected), item.detected
    assert re.fullmatch(r"[a-z0-9-]+", item.docs_anchor)


def test_anchors_are_unique() -> None:
    assert len({e.docs_anchor for e in ALL}) == len(ALL)


# --- texts ------------------------------------------------------------------------------------


@pytest.mark.parametrize("item", ALL, ids=IDS)
def test_texts_are_present_and_free_of_jargon(item: catalog.CatalogEntry) -> None:
    assert item.title.strip() and item.meaning.strip()
    assert item.fix and all(step.strip() for step in item.fix)
    for text in texts(item) + texts(catalog.render(item)):
        assert not _JARGON.search(text), (item.code, text)


def test_jargon_check_catches_words_not_substrings() -> None:
    assert _JARGON.search("The API refused it")
    assert _JARGON.search("a stale synctoken")
    assert _JARGON.search("two access tokens")
    assert _JARGON.search("the stacked boxes") is None
    assert _JARGON.search("a capital rapid happening") is None


@pytest.mark.parametrize("item", ALL, ids=IDS)
def test_rendered_without_params_reads_as_plain_sentences(item: catalog.CatalogEntry) -> None:
    shown = catalog.render(item)
    for text in texts(shown):
        assert not re.search(r"[{}\[\]|]", text), text
        assert "  " not in text and " ." not in text and " ," not in text, text
        assert text == text.strip(), text
    assert not shown.title.endswith("."), shown.title
    assert shown.meaning.endswith((".", ".)")), shown.meaning
    assert all(step.endswith((".", ".)")) for step in shown.fix), shown.fix


@pytest.mark.parametrize("item", ALL, ids=IDS)
def test_every_param_shows_when_given(item: catalog.CatalogEntry) -> None:
    names = catalog.placeholders(item)
    params = {name: f"<{name}>" for name in names}
    shown = catalog.render(item, params)
    joined = "\n".join(texts(shown))
    for name in names:
        assert f"<{name}>" in joined, name
    assert not re.search(r"[{}\[\]|]", joined.replace("<", "").replace(">", ""))
    assert "  " not in joined


@pytest.mark.parametrize("item", ALL, ids=IDS)
def test_each_param_alone_renders_cleanly(item: catalog.CatalogEntry) -> None:
    for name in catalog.placeholders(item):
        for text in texts(catalog.render(item, {name: "X"})):
            assert not re.search(r"[{}\[\]|]", text), text
            assert "  " not in text, text


def test_placeholders_all_sit_in_segments() -> None:
    bare = re.compile(r"\{[a-z_]+\}")
    segment = re.compile(r"\[[^\[\]]*\]")
    for item in ALL:
        for text in texts(item):
            assert not bare.search(segment.sub("", text)), (item.code, text)


def test_the_params_other_modules_use() -> None:
    used = {n for e in ALL for n in catalog.placeholders(e)}
    assert {"number", "field", "length", "limit", "name", "quickbooks_type"} <= used


def test_number_conflict_reads_as_the_example() -> None:
    shown = catalog.render(catalog.entry(catalog.INVOICE_NUMBER_CONFLICT), {"number": "1042"})
    assert shown.title == "Invoice number 1042 is already used in QuickBooks"
    assert shown.meaning == (
        "QuickBooks already has a different invoice numbered 1042, so this one can't use that "
        "number."
    )
    generic = catalog.render(catalog.entry(catalog.INVOICE_NUMBER_CONFLICT))
    assert generic.title == "Invoice number is already used in QuickBooks"
    assert generic.meaning == (
        "QuickBooks already has a different invoice with this number, so this one can't use "
        "that number."
    )
    assert shown.actions == ("renumber", "retry") and not shown.retriable
    assert shown.code == "invoice.number_conflict"


def test_field_too_long_with_partial_params() -> None:
    item = catalog.entry(catalog.RECORD_FIELD_TOO_LONG)
    full = catalog.render(item, {"field": "memo", "length": 4100, "limit": 4000})
    assert full.title == "The memo is too long for QuickBooks"
    assert full.meaning == (
        "The memo is too long for QuickBooks: it has 4100 characters. QuickBooks accepts at "
        "most 4000 characters there."
    )
    partial = catalog.render(item, {"field": "memo", "limit": None})
    assert partial.meaning == (
        "The memo is too long for QuickBooks. QuickBooks limits how long it can be."
    )


def test_unknown_error_keeps_quickbooks_words() -> None:
    shown = catalog.render(
        catalog.entry(catalog.QUICKBOOKS_UNKNOWN_ERROR),
        {"code": "6999", "message": "Something odd", "detail": "Odd : really odd"},
    )
    assert shown.meaning == (
        "QuickBooks refused this record with a message ledgerbridge doesn't recognise: "
        '"Something odd" (QuickBooks error 6999). Details: Odd : really odd'
    )
    assert "6999" in shown.meaning and "really odd" in shown.meaning


def test_values_are_inserted_literally_and_bounded() -> None:
    template = "Hello[ {name}|], {name}."
    assert catalog.fill(template, {"name": "{name} [x|y]"}) == "Hello {name} [x|y], {name} [x|y]."
    assert catalog.fill(template, {}) == "Hello, this."
    assert catalog.fill(template, {"name": "  a\n b  "}) == "Hello a b, a b."
    long = catalog.fill("[{v}|]", {"v": "x" * 1000})
    assert len(long) == catalog.MAX_VALUE_LENGTH and long.endswith("...")


def test_render_ignores_unrelated_and_odd_params() -> None:
    item = catalog.entry(catalog.CUSTOMER_EXISTS_IN_QUICKBOOKS)
    odd: dict[str, object] = {"unrelated": 1, "name": None, "0": "x", "{name}": "y"}
    assert catalog.render(item, odd) == catalog.render(item)
    assert catalog.render(item, {"name": "Acme"}).meaning.startswith(
        'QuickBooks already has a customer named "Acme" that'
    )


# --- docs/catalog.md --------------------------------------------------------------------------


def load_doc_script() -> ModuleType:
    path = ROOT / "scripts" / "catalog_doc.py"
    spec = importlib.util.spec_from_file_location("catalog_doc", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_catalog_md_is_up_to_date() -> None:
    expected = load_doc_script().render_markdown()
    current = (ROOT / "docs" / "catalog.md").read_text(encoding="utf-8")
    assert current == expected, (
        "docs/catalog.md is stale: run .venv/bin/python scripts/catalog_doc.py"
    )


def test_docs_have_every_entry_with_its_anchor_and_steps() -> None:
    page = load_doc_script().render_markdown()
    for item in ALL:
        assert f"\n### {item.code}\n" in page
        assert f'<a id="{item.docs_anchor}"></a>' in page
        assert f"(#{item.docs_anchor})" in page
        assert catalog.render(item).title in page
    assert "1. Click Reconnect QuickBooks" in page
    assert not _JARGON.search(page.replace("`", " ").split("## Contents")[0])


def test_account_missing_with_the_params_of_preflight_and_of_a_fault() -> None:
    item = catalog.entry(catalog.ITEM_ACCOUNT_MISSING)
    assert catalog.render(item, {"name": "Sales"}).meaning.startswith(
        'The account "Sales" used here doesn\'t exist in QuickBooks'
    )
    assert catalog.render(item, {"field": "income account"}).meaning.startswith(
        "An account used here as the income account doesn't exist"
    )


@pytest.mark.parametrize("code", catalog.codes())
def test_a_title_for_lists_shows_no_template_syntax(code: str) -> None:
    shown = catalog.title(code)
    assert shown and not any(mark in shown for mark in "{}[]|"), shown


def test_an_unknown_code_is_listed_as_it_is() -> None:
    assert catalog.title("custom.thing") == "custom.thing"


def test_the_article_fits_the_word_put_after_it() -> None:
    """ "used by a employee" read wrong: the article before a filled-in word follows it."""
    code = catalog.CUSTOMER_NAME_USED_BY_OTHER_TYPE
    employee = catalog.render(catalog.entry(code), {"quickbooks_type": "employee"}).meaning
    vendor = catalog.render(catalog.entry(code), {"quickbooks_type": "vendor"}).meaning
    assert "used by an employee." in employee and "used by a vendor." in vendor
    assert catalog.fill("a [{x}|thing] and a [{y}|other]", {"x": "item"}) == "an item and an other"
    assert catalog.fill("Say a [{x}|y].", {"x": "user"}) == "Say a user."  # "u": left as it is


def test_a_field_of_the_record_reads_as_words() -> None:
    shown = catalog.render(
        catalog.entry(catalog.ITEM_ACCOUNT_MISMATCH), {"name": "Svc", "field": "income_account"}
    )
    assert 'the item "Svc" uses as its income account is not' in shown.meaning
    assert "income_account" not in " ".join(texts(shown))


def test_the_wait_for_quickbooks_limits_is_said_in_utc_with_what_to_do_then() -> None:
    """The moment a person is told is the same instant whatever zone it was held in."""
    until = datetime(2026, 11, 2, 9, 30, 5, tzinfo=timezone(timedelta(hours=-5)))
    said = catalog.waiting_message(until, "try again after it", outcome="not_read")
    assert "makes this company wait until 2026-11-02 14:30:05 UTC" in said
    assert said.endswith("QuickBooks was not read, try again after it")


@pytest.mark.parametrize(
    ("outcome", "told"),
    [
        ("not_read", ": QuickBooks was not read, then"),
        ("not_sent", ": no change was sent to QuickBooks, then"),
        ("not_finished", ": the fix was not finished, then"),
    ],
)
def test_the_wait_says_what_became_of_what_was_asked(
    outcome: catalog.WaitOutcome, told: str
) -> None:
    """A read was not made; a fix that writes was refused before sending anything, or met
    QuickBooks' 429 on the way (some of its requests may have been answered)."""
    until = datetime(2026, 11, 2, 9, 30, 5, tzinfo=UTC)
    assert catalog.waiting_message(until, "then", outcome=outcome).endswith(told)
