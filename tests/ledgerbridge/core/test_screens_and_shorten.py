"""Two pure parts: the screens catalog fix steps name (every step naming one links it), and
the cuts Shorten offers (exactly what each sends, the recommended one, the checks of a
typed value)."""

from __future__ import annotations

import pytest

from ledgerbridge.core import catalog, shorten

# words in a fix step that name a screen of the dashboard, and the screens they may link to
_NAMED = {
    "mapping": {
        "mappings.tax_rates",
        "mappings.payment_methods",
        "mappings.accounts",
        "mappings.classes",
    },
    "reconnect quickbooks": {"reconnect", "connection"},
    "connection page": {"connection"},
    "reconciliation report": {"reconciliation"},
    "apply numbering start": {"setup"},
}


def _steps() -> list[tuple[str, int, str, str | None]]:
    return [
        (e.code, i, step, screen)
        for e in catalog.ENTRIES.values()
        for i, (step, screen) in enumerate(zip(e.fix, e.screens, strict=True))
    ]


@pytest.mark.parametrize(("code", "index", "step", "screen"), _steps())
def test_every_fix_step_that_names_a_screen_links_to_it(
    code: str, index: int, step: str, screen: str | None
) -> None:
    named = [words for words in _NAMED if words in step.lower()]
    if named:
        allowed = set().union(*(_NAMED[w] for w in named))
        assert screen in allowed, f"{code} step {index + 1} names {named} but links {screen}"
    else:
        assert screen is None, f"{code} step {index + 1} links {screen} but names no screen"


def test_screens_are_given_per_step_and_never_more_than_the_steps() -> None:
    for entry in catalog.ENTRIES.values():
        assert len(entry.screens) == len(entry.fix)
        assert set(entry.screens) <= {None, *catalog.SCREENS}
    rendered = catalog.render(catalog.entry(catalog.TAX_RATE_NOT_MAPPED), {})
    assert rendered.screens == ("mappings.tax_rates", None)


STRIPE = "pi_3OaBcDeFgHiJkLmN0pQrStUv9XyZ"


def test_each_cut_says_exactly_what_it_sends() -> None:
    cuts = {c.keep: c.value for c in shorten.choices(STRIPE, 21, "reference")}
    assert cuts == {
        "end": STRIPE[-21:],
        "start": STRIPE[:21],
        "both": STRIPE[:11] + STRIPE[-10:],
    }
    assert all(len(v) == 21 for v in cuts.values())


def test_an_id_keeps_its_end_first_and_a_text_its_start() -> None:
    assert [c.keep for c in shorten.choices(STRIPE, 21, "reference")] == ["end", "start", "both"]
    assert shorten.recommended("vendor_document_number") == "end"
    assert shorten.recommended("lines[2].description") == "start"
    assert shorten.recommended("billing_address.line1") == "start"


def test_cuts_trim_spaces_at_the_cut_and_a_short_value_is_kept_whole() -> None:
    assert shorten.cut("Call  the office first", 6, "start") == "Call"
    assert shorten.cut("ab  cdef", 5, "end") == "cdef"
    assert shorten.cut("short", 21, "end") == "short"
    assert shorten.cut("abcdef", 1, "both") == "a"


@pytest.mark.parametrize(
    ("value", "path", "said"),
    [
        ("", "reference", "is empty"),
        ("  ", "reference", "is empty"),
        ("x" * 22, "reference", "has 22 characters; QuickBooks accepts at most 21"),
        ("a\tb", "reference", "control character (U+0009)"),
        ("a\x00b", "memo", "NUL"),
        ("a\ud800b", "memo", "lone surrogate"),
    ],
)
def test_a_typed_value_is_refused_with_the_reason(value: str, path: str, said: str) -> None:
    why = shorten.refused(value, 21, path)
    assert why is not None and said in why


def test_a_typed_value_within_the_rules_is_accepted() -> None:
    assert shorten.refused("9XyZ", 21, "reference") is None
    assert shorten.refused("line one\nline two", 21, "memo") is None  # a memo takes lines
    assert shorten.refused(" " + "x" * 21 + " ", 21, "reference") is None  # sent trimmed
