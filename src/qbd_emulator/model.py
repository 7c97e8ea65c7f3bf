"""A company file: its lists and transactions as QuickBooks keeps them, the identities QuickBooks
gives (ListID, TxnID, TxnLineID, EditSequence), its clock, closing date, locks and faults.

A record is kept as the tree of its `…Ret` (a leaf is text, a group a dict, a repeating element a
list); the values QuickBooks computes (balances, full names of references) are filled in when it
is answered (`qbd_emulator.objects`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")

# List types and the list (family) whose ListIDs and names they share.
LIST_FAMILY = {
    "Customer": "Customer",
    "Vendor": "Vendor",
    "Employee": "Employee",
    "OtherName": "OtherName",
    "ItemService": "Item",
    "ItemNonInventory": "Item",
    "ItemInventory": "Item",
    "Account": "Account",
    "PaymentMethod": "PaymentMethod",
    "StandardTerms": "Terms",
    "DateDrivenTerms": "Terms",
    "SalesTaxCode": "SalesTaxCode",
    "Class": "Class",
}
# Customer, Vendor, Employee and Other Name share one name space (status 3100).
ENTITY_FAMILIES = ("Customer", "Vendor", "Employee", "OtherName")
TXN_TYPES = ("Invoice", "ReceivePayment", "Bill", "Check", "CreditCardCharge", "PurchaseOrder")


@dataclass
class Record:
    type: str  # CustomerRet's "Customer", "ItemService", "Invoice", ...
    data: dict[str, Any]  # the Ret tree as stored
    edit_sequence: int
    created: datetime
    modified: datetime
    voided: bool = False

    @property
    def id(self) -> str:
        return str(self.data.get("ListID") or self.data.get("TxnID"))

    @property
    def active(self) -> bool:
        return str(self.data.get("IsActive", "true")) != "false"


@dataclass
class Fault:
    """A scripted answer: the next `times` requests named `request` ("*": any) get this status
    (without running), or the whole message gets this HRESULT."""

    id: str
    request: str
    times: int | None
    status_code: int | None = None
    status_message: str = ""
    hresult: str | None = None
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "request": self.request,
            "times": self.times,
            "status_code": self.status_code,
            "status_message": self.status_message,
            "hresult": self.hresult,
            "message": self.message,
        }


@dataclass
class Lock:
    """Another user holding a record (a form open in QuickBooks): Mod, Del and Void of it answer
    `code` (3170, 3175 or 3176) `times` times, or until released (None)."""

    id: str
    code: int
    times: int | None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "code": self.code, "times": self.times}


@dataclass
class Iterator:
    id: str
    session: str
    request: str
    remaining: list[str]
    include_lines: bool


@dataclass
class Company:
    id: str
    name: str
    file_path: str
    created: datetime
    qbxml_version: str = "13.0"
    product: str = "QuickBooks Enterprise Solutions 24.0"
    closing_date: date | None = None
    clock: datetime | None = None
    clock_set_at: datetime | None = None
    lists: dict[str, dict[str, Record]] = field(default_factory=dict)  # family -> ListID -> rec
    txns: dict[str, Record] = field(default_factory=dict)
    deleted: list[dict[str, str]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    locks: dict[str, Lock] = field(default_factory=dict)
    iterators: dict[str, Iterator] = field(default_factory=dict)
    data_ext: dict[str, dict[str, str]] = field(default_factory=dict)  # OwnerID -> name -> value
    counters: dict[str, int] = field(default_factory=dict)  # the next value of each counter
    last_sequence: int = 0
    stamp: int = 0
    revision: int = 0  # bumped on every change of a record; derived values are cached by it
    _memo: dict[str, tuple[int, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.stamp = int(self.created.timestamp())

    # --- time -------------------------------------------------------------------------------------

    def now(self) -> datetime:
        real = datetime.now(UTC)
        if self.clock is None or self.clock_set_at is None:
            return real.replace(microsecond=0)
        return (self.clock + (real - self.clock_set_at)).replace(microsecond=0)

    def today(self) -> date:
        return self.now().astimezone(PACIFIC).date()

    # --- identities -------------------------------------------------------------------------------

    def _next(self, counter: str, start: int) -> int:
        value = self.counters.get(counter, start)
        self.counters[counter] = value + 1
        return value

    def new_list_id(self, family: str) -> str:
        """`80000001-1734567890`: a counter per list (ListIDs are unique per list type only); the
        four name lists count together, as one reference (`PayeeEntityRef`) may name any."""
        counter = "Entity" if family in ENTITY_FAMILIES else family
        return f"{self._next(counter, 0x80000001):08X}-{self.stamp}"

    def new_txn_id(self) -> str:
        return f"{self._next('txn', 0x1):X}-{self.stamp}"

    def new_txn_number(self) -> int:
        return self._next("txn-number", 1)

    def new_line_id(self) -> str:
        return f"{self._next('line', 0x1):X}-{self.stamp}"

    def new_edit_sequence(self) -> int:
        """Every save changes it: the clock's seconds, or one more than the last one given."""
        self.last_sequence = max(self.last_sequence + 1, int(self.now().timestamp()))
        return self.last_sequence

    # --- records ----------------------------------------------------------------------------------

    def changed(self) -> None:
        self.revision += 1

    def memo(self, key: str, build: Callable[[], Any]) -> Any:
        """`build()`, computed once per revision of the records."""
        cached = self._memo.get(key)
        if cached is None or cached[0] != self.revision:
            cached = (self.revision, build())
            self._memo[key] = cached
        return cached[1]

    def family(self, family: str) -> dict[str, Record]:
        return self.lists.setdefault(family, {})

    def list_record(self, family: str, list_id: str) -> Record | None:
        return self.lists.get(family, {}).get(list_id)

    def by_full_name(self, family: str, full_name: str) -> Record | None:
        wanted = full_name.casefold()
        for record in self.lists.get(family, {}).values():
            if str(record.data.get("FullName", record.data.get("Name", ""))).casefold() == wanted:
                return record
        return None

    def name_taken(
        self, families: tuple[str, ...], full_name: str, *, but: Record | None = None
    ) -> bool:
        wanted = full_name.casefold()
        for family in families:
            for record in self.lists.get(family, {}).values():
                if record is but:
                    continue
                name = record.data.get("FullName", record.data.get("Name", ""))
                if str(name).casefold() == wanted:
                    return True
        return False

    def all_records(self) -> list[Record]:
        out = [r for family in self.lists.values() for r in family.values()]
        return out + list(self.txns.values())

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for record in self.all_records():
            counts[record.type] = counts.get(record.type, 0) + 1
        return counts


def format_time(moment: datetime) -> str:
    """`2026-12-05T10:15:30-08:00`: TimeCreated/TimeModified in the company's zone."""
    return moment.astimezone(PACIFIC).replace(microsecond=0).isoformat()


def new_guid() -> str:
    raw = secrets.token_hex(16).upper()
    return f"{{{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}}}"
