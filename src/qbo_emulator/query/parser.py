"""Parser for the QuickBooks Online query language.

    SELECT <projection> FROM <Entity>
      [WHERE <cond> [AND <cond>]...]
      [ORDERBY | ORDER BY <prop> [ASC|DESC] [, <prop> [ASC|DESC]]...]
      [STARTPOSITION n] [MAXRESULTS n]

Keywords, entity and property names are case-insensitive. A condition is `<prop> <op> <value>`
(`=`, `!=`, `<`, `>`, `<=`, `>=`, `LIKE`) or `<prop> IN (<value>, ...)`; there is no OR, NOT,
`<>`, `NOT IN`, `NOT LIKE` or grouping. Values are single-quoted strings (backslash escapes the
next character; `' '` stands for null), bare numbers, `true` / `false` and `CURRENT_DATE`.
Intuit documents `=`, `<`, `>`, `<=`, `>=`, `IN` and `LIKE`; `!=` is undocumented but accepted by
QuickBooks and sent by real clients (`Balance != '0'`).

Syntax errors raise fault 4000 with a JavaCC-style detail naming the offending token and its
position, as the real service does; out-of-range paging values raise 4001. Property and entity
names are not checked here: the executor validates them against the entity.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeAlias

from qbo_emulator import faults

MAX_RESULTS_LIMIT = 1000
DEFAULT_MAX_RESULTS = 100
DEFAULT_START_POSITION = 1

OPERATORS = frozenset({"=", "!=", "<", ">", "<=", ">=", "LIKE", "IN"})


class CurrentDate(enum.Enum):
    """The `CURRENT_DATE` keyword: the company's today, resolved when the query runs."""

    CURRENT_DATE = "CURRENT_DATE"


CURRENT_DATE = CurrentDate.CURRENT_DATE

Literal: TypeAlias = str | bool | Decimal | CurrentDate
"""A value in a condition: a quoted string, `true`/`false`, a bare number or `CURRENT_DATE`."""


@dataclass(frozen=True, slots=True)
class Condition:
    """`path op value`; `values` holds one value, or the list of an `IN`."""

    path: str
    op: str
    values: tuple[Literal, ...]


@dataclass(frozen=True, slots=True)
class OrderTerm:
    path: str
    descending: bool = False


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query. Names are kept as written; `projection` None means every field."""

    entity: str
    count: bool = False
    projection: tuple[str, ...] | None = None
    conditions: tuple[Condition, ...] = ()
    order_by: tuple[OrderTerm, ...] = ()
    start_position: int = DEFAULT_START_POSITION
    max_results: int = DEFAULT_MAX_RESULTS


# --- tokens -------------------------------------------------------------------------------

KEYWORDS = frozenset(
    {
        "SELECT",
        "FROM",
        "WHERE",
        "AND",
        "OR",
        "NOT",
        "IN",
        "LIKE",
        "ORDERBY",
        "ORDER",
        "BY",
        "ASC",
        "DESC",
        "STARTPOSITION",
        "MAXRESULTS",
        "COUNT",
        "TRUE",
        "FALSE",
        "CURRENT_DATE",
    }
)

# Token kinds.
IDENT = "IDENT"
KEYWORD = "KEYWORD"
STRING = "STRING"
NUMBER = "NUMBER"
SYMBOL = "SYMBOL"
EOF = "EOF"

_WORD = r"[^\W\d]\w*"
_IDENT_RE = re.compile(rf"{_WORD}(?:\.{_WORD})*")
_NUMBER_RE = re.compile(r"-?\d+(?:\.\d+)?")
_INTEGER_RE = re.compile(r"-?\d+")
_SYMBOLS = ("<=", ">=", "!=", "=", "<", ">", "*", "(", ")", ",", ";")


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str  # the source text, as written
    value: str  # keyword upper-cased, string unescaped, otherwise the text
    line: int
    column: int

    def label(self) -> str:
        """The token's kind as JavaCC names it in `Encountered ...` messages."""
        if self.kind == KEYWORD:
            return f"<{self.value}>" if self.value in ("AND", "OR") else f'"{self.value.lower()}"'
        if self.kind == SYMBOL:
            return f'"{self.text}"'
        return {IDENT: "<IDENTIFIER>", STRING: "<STRING_LITERAL>", NUMBER: "<NUMBER>"}.get(
            self.kind, "<EOF>"
        )


def _escape(text: str) -> str:
    """JavaCC's `add_escapes`: the form a token's image takes inside an error message."""
    out: list[str] = []
    specials = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
    for ch in text:
        if ch in specials:
            out.append(specials[ch])
        elif ch in "\"'\\":
            out.append("\\" + ch)
        elif not " " <= ch <= "~":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.line_start = 0

    def column(self, pos: int) -> int:
        return pos - self.line_start + 1

    def lexical_error(self, pos: int, encountered: str, after: str) -> faults.QBOFault:
        line = self.text.count("\n", 0, pos) + 1
        column = pos - (self.text.rfind("\n", 0, pos) + 1) + 1
        return faults.query_parse_error(
            f"Invalid content. Lexical error at line {line}, column {column}.  "
            f'Encountered: {encountered} after : "{_escape(after)}"'
        )

    def skip_space(self) -> None:
        text = self.text
        while self.pos < len(text) and text[self.pos].isspace():
            if text[self.pos] == "\n":
                self.line += 1
                self.line_start = self.pos + 1
            self.pos += 1

    def tokens(self) -> Iterator[Token]:
        text = self.text
        while True:
            self.skip_space()
            start = self.pos
            if start >= len(text):
                yield self.eof()
                return
            ch = text[start]
            line, column = self.line, self.column(start)
            if ch == "'":
                value, end = self.string(start)
                yield Token(STRING, text[start:end], value, line, column)
                self.pos = end
                newline = text.rfind("\n", start, end)
                if newline >= 0:
                    self.line += text.count("\n", start, end)
                    self.line_start = newline + 1
                continue
            match = _NUMBER_RE.match(text, start) or _IDENT_RE.match(text, start)
            if match:
                word = match.group()
                self.pos = match.end()
                if _NUMBER_RE.fullmatch(word):
                    yield Token(NUMBER, word, word, line, column)
                elif word.upper() in KEYWORDS:
                    yield Token(KEYWORD, word, word.upper(), line, column)
                else:
                    yield Token(IDENT, word, word, line, column)
                continue
            symbol = next((s for s in _SYMBOLS if text.startswith(s, start)), None)
            if symbol is None:
                raise self.lexical_error(start, f'"{_escape(ch)}" ({ord(ch)}),', "")
            self.pos = start + len(symbol)
            yield Token(SYMBOL, symbol, symbol, line, column)

    def string(self, start: int) -> tuple[str, int]:
        """Reads a quoted string starting at `start`; returns its value and the end offset."""
        text = self.text
        chars: list[str] = []
        pos = start + 1
        while pos < len(text):
            ch = text[pos]
            if ch == "\\" and pos + 1 < len(text):
                chars.append(text[pos + 1])
                pos += 2
            elif ch == "'":
                return "".join(chars), pos + 1
            else:
                chars.append(ch)
                pos += 1
        raise self.lexical_error(len(text), "<EOF>", text[start:])

    def eof(self) -> Token:
        if not self.text:
            return Token(EOF, "", "", 0, 0)
        last = len(self.text) - 1
        line = self.text.count("\n", 0, last) + 1
        column = last - (self.text.rfind("\n", 0, last) + 1) + 1
        return Token(EOF, "", "", line, column)


# --- grammar ------------------------------------------------------------------------------


class _Parser:
    """Recursive descent with one token of look-ahead; tokens are read lazily, as JavaCC does,
    so a syntax error is reported before any lexical error further on."""

    def __init__(self, text: str) -> None:
        self.tokens = _Lexer(text).tokens()
        self.current = next(self.tokens)

    def advance(self) -> Token:
        token = self.current
        if token.kind != EOF:
            self.current = next(self.tokens)
        return token

    def fail(self) -> faults.QBOFault:
        token = self.current
        where = f"at line {token.line}, column {token.column}."
        if token.kind == EOF:
            return faults.query_parse_error(f'Encountered "<EOF>" {where}')
        return faults.query_parse_error(
            f'Encountered " {token.label()} "{_escape(token.text)} "" {where}'
        )

    def at_keyword(self, *names: str) -> bool:
        return self.current.kind == KEYWORD and self.current.value in names

    def at_symbol(self, symbol: str) -> bool:
        return self.current.kind == SYMBOL and self.current.value == symbol

    def expect_keyword(self, name: str) -> None:
        if not self.at_keyword(name):
            raise self.fail()
        self.advance()

    def expect_symbol(self, symbol: str) -> None:
        if not self.at_symbol(symbol):
            raise self.fail()
        self.advance()

    def identifier(self) -> str:
        if self.current.kind != IDENT:
            raise self.fail()
        return self.advance().text

    def query(self) -> Query:
        self.expect_keyword("SELECT")
        count, projection = self.projection()
        self.expect_keyword("FROM")
        entity = self.identifier()
        conditions: list[Condition] = []
        if self.at_keyword("WHERE"):
            self.advance()
            conditions.append(self.condition())
            while self.at_keyword("AND"):
                self.advance()
                conditions.append(self.condition())
        order_by: list[OrderTerm] = []
        if self.at_keyword("ORDERBY", "ORDER"):
            if self.advance().value == "ORDER":
                self.expect_keyword("BY")
            order_by.append(self.order_term())
            while self.at_symbol(","):
                self.advance()
                order_by.append(self.order_term())
        paging: dict[str, int] = {}
        while self.at_keyword("STARTPOSITION", "MAXRESULTS") and self.current.value not in paging:
            name = self.advance().value
            paging[name] = self.integer()
        while self.at_symbol(";"):
            self.advance()
        if self.current.kind != EOF:
            raise self.fail()
        return Query(
            entity=entity,
            count=count,
            projection=projection,
            conditions=tuple(conditions),
            order_by=tuple(order_by),
            start_position=_start_position(paging.get("STARTPOSITION")),
            max_results=_max_results(paging.get("MAXRESULTS")),
        )

    def projection(self) -> tuple[bool, tuple[str, ...] | None]:
        if self.at_keyword("COUNT"):
            self.advance()
            self.expect_symbol("(")
            self.expect_symbol("*")
            self.expect_symbol(")")
            return True, None
        star = False
        paths: list[str] = []
        while True:
            if self.at_symbol("*"):
                self.advance()
                star = True
            else:
                paths.append(self.identifier())
            if not self.at_symbol(","):
                break
            self.advance()
        return False, None if star else tuple(paths)

    def condition(self) -> Condition:
        path = self.identifier()
        token = self.current
        if token.kind == SYMBOL and token.value in OPERATORS:
            self.advance()
            return Condition(path, token.value, (self.literal(),))
        if self.at_keyword("LIKE"):
            self.advance()
            return Condition(path, "LIKE", (self.literal(),))
        if self.at_keyword("IN"):
            self.advance()
            self.expect_symbol("(")
            values = [self.literal()]
            while self.at_symbol(","):
                self.advance()
                values.append(self.literal())
            self.expect_symbol(")")
            return Condition(path, "IN", tuple(values))
        raise self.fail()

    def literal(self) -> Literal:
        token = self.current
        if token.kind == STRING:
            self.advance()
            return token.value
        if token.kind == NUMBER:
            self.advance()
            return Decimal(token.text)
        if self.at_keyword("TRUE", "FALSE"):
            self.advance()
            return token.value == "TRUE"
        if self.at_keyword("CURRENT_DATE"):
            self.advance()
            return CURRENT_DATE
        raise self.fail()

    def order_term(self) -> OrderTerm:
        path = self.identifier()
        descending = False
        if self.at_keyword("ASC", "DESC"):
            descending = self.advance().value == "DESC"
        return OrderTerm(path, descending)

    def integer(self) -> int:
        token = self.current
        if token.kind != NUMBER or not _INTEGER_RE.fullmatch(token.text):
            raise self.fail()
        self.advance()
        return int(token.text)


def _too_small(value: int) -> faults.QBOFault:
    return faults.query_invalid(f"value {value} is too small. Min allowed value is 1")


def _start_position(value: int | None) -> int:
    """STARTPOSITION is 1-based; 0 is read as 1 (some SDKs send it), negatives are refused."""
    if value is None:
        return DEFAULT_START_POSITION
    if value < 0:
        raise _too_small(value)
    return max(value, 1)


def _max_results(value: int | None) -> int:
    if value is None:
        return DEFAULT_MAX_RESULTS
    if value > MAX_RESULTS_LIMIT:
        raise faults.query_invalid(
            f"value {value} is too large. Max allowed value is {MAX_RESULTS_LIMIT}"
        )
    if value < 1:
        raise _too_small(value)
    return value


def parse(text: str) -> Query:
    """Parses one query; raises `QBOFault` 4000 on a syntax error, 4001 on bad paging values."""
    return _Parser(text).query()
