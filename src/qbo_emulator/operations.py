"""The data operations of the Accounting API on one company: create, read, full and sparse
update, delete, void, query, batch and change data capture.

Every write validates completely before it changes anything, so a fault leaves the company as it
was. The caller holds the emulator's lock and publishes `ctx.events` once the write is done.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from qbo_emulator import clock, faults
from qbo_emulator.model.specs import SPECS, EntitySpec, Kind, resolve
from qbo_emulator.model.store import Company, Row, Table
from qbo_emulator.query import (
    MAX_RESULTS_LIMIT,
    Query,
    QueryResult,
    execute,
    parse,
    require_entity,
)
from qbo_emulator.rules import (
    attachments,
    banking,
    currencies,
    effects,
    names,
    recurring,
    tax_service,
    time_activity,
    transactions,
)
from qbo_emulator.rules.context import Ctx
from qbo_emulator.rules.lines import ZERO
from qbo_emulator.rules.tax_codes import pseudo_tax_code, pseudo_tax_codes
from qbo_emulator.rules.values import blank, check_refs, check_string_limits

SYSTEM_FIELDS = frozenset({"Id", "SyncToken", "MetaData", "domain", "sparse", "status"})
PREPARE: dict[str, Callable[[Ctx, Row, Row | None], Row]] = {
    **names.PREPARE,
    **transactions.PREPARE,
    "Deposit": banking.prepare_deposit,
    "Transfer": banking.prepare_transfer,
    "CreditCardPayment": banking.prepare_credit_card_payment,
    "TimeActivity": time_activity.prepare_time_activity,
    "TaxAgency": tax_service.prepare_tax_agency,
    "Attachable": attachments.prepare_attachable,
    "CompanyCurrency": currencies.prepare_company_currency,
}
MAX_BATCH_ITEMS = 30
MAX_BATCH_OBJECTS = 1000  # objects in a batch's whole answer
CDC_WINDOW = timedelta(days=30)
CDC_MAX_OBJECTS = 1000


def company_now(company: Company) -> datetime:
    real = clock.utcnow()
    if company.clock is None or company.clock_set_at is None:
        return real
    return company.clock + (real - company.clock_set_at)


def new_ctx(company: Company, include: Iterable[str] = ()) -> Ctx:
    now = company_now(company)
    return Ctx(company, now, clock.company_today(now), frozenset(i.lower() for i in include))


def entity_spec(name: str) -> EntitySpec:
    spec = resolve(name)
    if spec is None:
        raise faults.QBOFault(
            faults.Fault(
                400,
                "ValidationFault",
                (
                    faults.ErrorItem(
                        "2000",
                        "Invalid or unsupported object name",
                        f"Invalid or unsupported object name : {name}",
                    ),
                ),
            )
        )
    return spec


# --- writes -------------------------------------------------------------------------------


def check_writable(ctx: Ctx) -> None:
    """6190 for any write to a company whose subscription has lapsed."""
    if ctx.company.subscription_status != "PAID":
        raise faults.invalid_company_status()


def _input(spec: EntitySpec, payload: Mapping[str, Any]) -> Row:
    """The writable fields a client sent; system and computed fields are ignored."""
    computed = transactions.COMPUTED.get(spec.name, frozenset())
    return {
        key: value
        for key, value in payload.items()
        if key in spec.fields
        and key not in SYSTEM_FIELDS
        and key not in computed
        and not blank(value)
    }


def _stamp(ctx: Ctx, row: Row, created: str | None = None) -> None:
    now = clock.format_timestamp(ctx.now)
    row["MetaData"] = {"CreateTime": created or now, "LastUpdatedTime": now}


def _toucher(ctx: Ctx) -> Callable[[str, Row], None]:
    """Stores a row changed as a side effect, with a new SyncToken, and reports it."""

    def touch(entity: str, row: Row) -> None:
        table = ctx.company.table(entity)
        row["SyncToken"] = str(int(row["SyncToken"]) + 1)
        _stamp(ctx, row, row.get("MetaData", {}).get("CreateTime"))
        table.put(row, ctx.now)
        ctx.events.append((entity, row["Id"], "Update", None))

    return touch


def _prepare_template(ctx: Ctx, entity: str, obj: Row) -> Row:
    """A recurring transaction's template, checked by its own entity's rules."""
    spec = SPECS[entity]
    return _prepare(ctx, spec, _input(spec, obj), None)


def _prepare_recurring(ctx: Ctx, obj: Row, existing: Row | None) -> Row:
    return recurring.prepare(ctx, obj, existing, _prepare_template)


PREPARE["RecurringTransaction"] = _prepare_recurring


def _prepare(ctx: Ctx, spec: EntitySpec, obj: Row, existing: Row | None) -> Row:
    prepared = PREPARE[spec.name](ctx, obj, existing)
    check_refs(ctx, spec, prepared)
    check_string_limits(spec, prepared)
    return prepared


def _require_payload(payload: Any) -> Mapping[str, Any]:
    if not isinstance(payload, Mapping):
        raise faults.invalid_value("", "The request body must be a JSON object", "2010")
    return payload


def create(ctx: Ctx, spec: EntitySpec, payload: Any) -> Row:
    payload = _require_payload(payload)
    if not spec.allows("create"):
        raise faults.unsupported_operation(f"Create for {spec.name}")
    check_writable(ctx)
    if spec.name == "Item" and str(payload.get("Type", "")) == "Group":
        raise faults.invalid_enumeration("Type", "Group")
    prepared = _prepare(ctx, spec, _input(spec, payload), None)
    table = ctx.company.table(spec.name)
    row = {
        **prepared,
        "Id": table.allocate_id(),
        "SyncToken": "0",
        "domain": "QBO",
        "sparse": False,
    }
    _stamp(ctx, row)
    table.put(row, ctx.now)
    effects.after_write(ctx, spec.name, None, row, _toucher(ctx))
    ctx.events.append((spec.name, row["Id"], "Create", None))
    return row


def _existing(ctx: Ctx, spec: EntitySpec, payload: Mapping[str, Any]) -> Row:
    entity_id = payload.get("Id")
    if blank(entity_id):
        raise faults.required_param("Id")
    return read(ctx, spec, str(entity_id).strip())


def _check_token(spec: EntitySpec, payload: Mapping[str, Any], existing: Row) -> None:
    token = payload.get("SyncToken")
    if blank(token):
        raise faults.required_param("SyncToken")
    if str(token).strip() != existing["SyncToken"]:
        raise faults.stale_object(spec.name)


def update(ctx: Ctx, spec: EntitySpec, payload: Any, *, sparse: bool) -> Row:
    payload = _require_payload(payload)
    if spec.kind is Kind.SINGLETON:
        return update_singleton(ctx, spec, payload, sparse=sparse)
    if spec.name == "ExchangeRate":  # no Id: by currency and date
        check_writable(ctx)
        return currencies.presented_rate(currencies.set_exchange_rate(ctx, payload))
    if not spec.allows("update"):
        raise faults.unsupported_operation(f"Update for {spec.name}")
    check_writable(ctx)
    existing = _existing(ctx, spec, payload)
    _check_token(spec, payload, existing)
    transactions.check_not_deposited(ctx, spec.name, existing["Id"])
    incoming = _input(spec, payload)
    if sparse:
        base = {k: v for k, v in existing.items() if k not in SYSTEM_FIELDS}
        merged = {**base, **incoming}
    else:
        merged = incoming
    merged["Id"] = existing["Id"]
    prepared = _prepare(ctx, spec, merged, existing)
    row = {
        **prepared,
        "Id": existing["Id"],
        "SyncToken": str(int(existing["SyncToken"]) + 1),
        "domain": "QBO",
        "sparse": False,
    }
    _stamp(ctx, row, existing["MetaData"]["CreateTime"])
    ctx.company.table(spec.name).put(row, ctx.now)
    effects.after_write(ctx, spec.name, existing, row, _toucher(ctx))
    ctx.events.append((spec.name, row["Id"], "Update", None))
    return row


def update_singleton(
    ctx: Ctx, spec: EntitySpec, payload: Mapping[str, Any], *, sparse: bool
) -> Row:
    """Preferences and CompanyInfo: one row each, updated section by section."""
    check_writable(ctx)
    table = ctx.company.table(spec.name)
    existing = next(iter(table), None)
    if existing is None:
        raise faults.object_not_found()
    _check_token(spec, payload, existing)
    incoming = _input(spec, payload)
    row = (
        deep_merge(existing, incoming)
        if sparse or spec.name == "Preferences"
        else {
            **{k: v for k, v in existing.items() if k in SYSTEM_FIELDS},
            **incoming,
        }
    )
    row["Id"] = existing["Id"]
    row["SyncToken"] = str(int(existing["SyncToken"]) + 1)
    check_string_limits(spec, row)
    _stamp(ctx, row, existing["MetaData"]["CreateTime"])
    table.put(row, ctx.now)
    if spec.webhooks:
        ctx.events.append((spec.name, row["Id"], "Update", None))
    return row


def deep_merge(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in patch.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = value
    return result


def delete(ctx: Ctx, spec: EntitySpec, payload: Any) -> Row:
    payload = _require_payload(payload)
    if not spec.allows("delete"):
        if spec.kind is Kind.NAME_LIST:
            raise faults.unsupported_operation(
                f"Delete for {spec.name} (list entities are made inactive instead: Active=false)"
            )
        raise faults.unsupported_operation(f"Delete for {spec.name}")
    check_writable(ctx)
    existing = _existing(ctx, spec, payload)
    _check_token(spec, payload, existing)
    transactions.check_not_deposited(ctx, spec.name, existing["Id"])
    transactions.check_open_period(ctx, existing.get("TxnDate"))
    if ctx.company.applied.get(f"{spec.name}:{existing['Id']}"):
        raise faults.business_validation(
            f"This {spec.name} has payments applied to it. Remove the payments first, or void "
            "the transaction instead.",
        )
    table = ctx.company.table(spec.name)
    table.remove(existing["Id"], ctx.now)
    effects.after_write(ctx, spec.name, existing, None, _toucher(ctx))
    ctx.events.append((spec.name, existing["Id"], "Delete", None))
    return {"status": "Deleted", "domain": "QBO", "Id": existing["Id"]}


def void(ctx: Ctx, spec: EntitySpec, payload: Any) -> Row:
    payload = _require_payload(payload)
    if not spec.allows("void"):
        raise faults.unsupported_operation(f"Void for {spec.name}")
    check_writable(ctx)
    existing = _existing(ctx, spec, payload)
    _check_token(spec, payload, existing)
    transactions.check_not_deposited(ctx, spec.name, existing["Id"])
    transactions.check_open_period(ctx, existing.get("TxnDate"))
    touch = _toucher(ctx)
    _unapply_payments(ctx, spec.name, existing["Id"], touch)
    note = str(existing.get("PrivateNote") or "")
    row = dict(existing)
    if spec.name in ("Payment", "BillPayment"):
        row.update(Line=[], TotalAmt=ZERO, PrivateNote="Voided")
        if spec.name == "Payment":
            row["UnappliedAmt"] = ZERO
    else:
        if "Line" in existing:
            row["Line"] = [_zero_line(line) for line in existing["Line"]]
        row["PrivateNote"] = f"Voided - {note}" if note else "Voided"
        for key in (
            "TotalAmt",
            "Amount",
            "Balance",
            "HomeBalance",
            "HomeTotalAmt",
            "RemainingCredit",
        ):
            if key in row:
                row[key] = ZERO
        if isinstance(row.get("TxnTaxDetail"), dict):
            row["TxnTaxDetail"] = {**row["TxnTaxDetail"], "TotalTax": ZERO, "TaxLine": []}
    row["SyncToken"] = str(int(existing["SyncToken"]) + 1)
    _stamp(ctx, row, existing["MetaData"]["CreateTime"])
    table = ctx.company.table(spec.name)
    table.put(row, ctx.now)
    table.voided.add(row["Id"])
    effects.after_write(ctx, spec.name, existing, row, touch)
    ctx.events.append((spec.name, row["Id"], "Void", None))
    return row


def _zero_line(line: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(line)
    if "Amount" in result:
        result["Amount"] = ZERO
    for key in ("SalesItemLineDetail", "ItemBasedExpenseLineDetail"):
        if isinstance(result.get(key), dict) and "Qty" in result[key]:
            result[key] = {**result[key], "Qty": ZERO}
    return result


def _unapply_payments(
    ctx: Ctx, entity: str, entity_id: str, touch: Callable[[str, Row], None]
) -> None:
    """Voiding a document turns the payments applied to it into unapplied credit."""
    links = ctx.company.applied.get(f"{entity}:{entity_id}", {})
    for key in list(links):
        payer_type, _, payer_id = key.partition(":")
        payer = ctx.company.table(payer_type).get(payer_id)
        if payer is None:
            continue
        kept = [
            line
            for line in payer.get("Line", [])
            if not any(
                link.get("TxnType") == entity and link.get("TxnId") == entity_id
                for link in line.get("LinkedTxn", [])
            )
        ]
        updated = {**payer, "Line": kept}
        if payer_type == "Payment":
            applied = sum((Decimal(line["Amount"]) for line in kept), ZERO)
            updated["UnappliedAmt"] = Decimal(payer["TotalAmt"]) - applied
        touch(payer_type, updated)
        effects.after_write(ctx, payer_type, payer, updated, touch)


# --- reads --------------------------------------------------------------------------------


def read(ctx: Ctx, spec: EntitySpec, entity_id: str) -> Row:
    table = ctx.company.table(spec.name)
    row = table.get(entity_id)
    if row is None and spec.name == "TaxCode":
        row = pseudo_tax_code(ctx.company, entity_id)
    if row is not None:
        return row
    if spec.kind is Kind.SINGLETON:
        found = next(iter(table), None)
        if found is not None:
            return found
    if entity_id in table.deleted:
        raise faults.transaction_deleted()
    raise faults.object_not_found()


class TableSource:
    """A table seen by the query executor.

    `extra` are rows that are not in the table (the pseudo tax codes), listed first; with
    `stored=False` the source is those rows alone. `derived` adds computed properties to each
    stored row (the `Type` of a recurring transaction), named in `derived_paths`."""

    def __init__(
        self,
        table: Table,
        extra: Sequence[Row] = (),
        *,
        stored: bool = True,
        derived: Callable[[Row], Row] | None = None,
        derived_paths: Sequence[str] = (),
    ) -> None:
        self._table = table
        self._extra = list(extra)
        self._stored = stored
        self._derived = derived
        self.entity = table.spec.name
        self.is_name_list = table.spec.is_name_list
        paths = {f.casefold(): f for f in (*table.spec.fields, *derived_paths)}
        paths["metadata.createtime"] = "MetaData.CreateTime"
        paths["metadata.lastupdatedtime"] = "MetaData.LastUpdatedTime"
        self._paths = paths

    def canonical_path(self, path: str) -> str | None:
        return self._paths.get(path.casefold())

    def _table_rows(self, rows: Iterable[Row]) -> Iterable[Row]:
        if not self._stored:
            return ()
        return rows if self._derived is None else map(self._derived, rows)

    def rows(self) -> Iterator[Mapping[str, Any]]:
        return itertools.chain(self._extra, self._table_rows(self._table.rows.values()))

    def lookup(self, path: str, values: Sequence[str]) -> list[Row] | None:
        found = self._table.lookup(path, values)
        if found is None:
            return None
        if not self._extra:
            return list(self._table_rows(found))
        wanted = {str(v).casefold() for v in values}
        extra = [r for r in self._extra if str(r.get(path, "")).casefold() in wanted]
        return extra + list(self._table_rows(found))


def query(ctx: Ctx, text: str) -> dict[str, Any]:
    parsed = parse(text)
    entity = require_entity(parsed.entity, SPECS)
    table = ctx.company.table(entity)
    if entity == "RecurringTransaction":
        source = TableSource(table, derived=recurring.with_type, derived_paths=("Type",))
    else:
        source = TableSource(table)
    result: QueryResult = execute(parsed, source, ctx.today)
    if entity == "TaxCode":
        result = _with_pseudo_tax_codes(ctx, parsed, result)
    if result.total_count is not None:
        return {"totalCount": result.total_count}
    if not result.rows:
        return {}
    rows = result.rows
    if entity == "RecurringTransaction":
        rows = [recurring.presented(row) for row in rows]
    return {
        SPECS[entity].key: rows,
        "startPosition": parsed.start_position,
        "maxResults": len(rows),
    }


def _with_pseudo_tax_codes(ctx: Ctx, parsed: Query, stored: QueryResult) -> QueryResult:
    """QuickBooks answers a TaxCode query with the pseudo codes (TAX, NON, CustomSalesTax) that
    match it *on top of* the page of stored codes: `MAXRESULTS 1` gives 4 rows in a sandbox
    company (a known QuickBooks bug, python-quickbooks' integration test `test_taxcode`). They
    come first, on the page that starts at position 1 only, and COUNT(*) counts them."""
    everything = replace(parsed, start_position=1, max_results=MAX_RESULTS_LIMIT)
    source = TableSource(ctx.company.table("TaxCode"), pseudo_tax_codes(ctx.company), stored=False)
    pseudo = execute(everything, source, ctx.today)
    if stored.total_count is not None:
        return QueryResult(rows=[], total_count=stored.total_count + (pseudo.total_count or 0))
    if parsed.start_position > 1:
        return stored
    return QueryResult(rows=pseudo.rows + stored.rows)


def cdc(ctx: Ctx, entities: str | None, changed_since: str | None) -> list[dict[str, Any]]:
    """Objects changed since a time, per entity; deleted ones as stubs after the live ones."""
    if blank(entities):
        raise faults.required_param("entities", "entities")
    if blank(changed_since):
        raise faults.required_param("changedSince", "changedSince")
    try:
        since = clock.parse_datetime(str(changed_since))
    except ValueError:
        raise faults.invalid_value(
            "changedSince", f"Invalid Date Format : changedSince={changed_since}", "2060"
        ) from None
    if since < ctx.now - CDC_WINDOW:
        raise faults.QBOFault(
            faults.Fault(
                400,
                "ValidationFault",
                (
                    faults.ErrorItem(
                        "2190",
                        "Invalid Date Range",
                        "Invalid Date Range : changedSince must be within the last 30 days",
                        "changedSince",
                    ),
                ),
            )
        )
    groups: list[dict[str, Any]] = []
    budget = CDC_MAX_OBJECTS
    for name in str(entities).split(","):
        spec = entity_spec(name.strip())
        if not spec.cdc:
            raise faults.unsupported_operation(f"Change data capture for {spec.name}")
        table = ctx.company.table(spec.name)
        # By change time; objects changed by one request (same time) in Id order.
        changed = sorted(
            (at, int(entity_id), entity_id)
            for entity_id, at in table.updated_at.items()
            if at >= since
        )
        objects: list[Row] = [table.rows[entity_id] for _, _, entity_id in changed]
        for gone in sorted(table.deleted.values(), key=lambda d: d.at):
            if gone.at >= since:
                objects.append(
                    {
                        "domain": "QBO",
                        "status": "Deleted",
                        "Id": gone.id,
                        "MetaData": {"LastUpdatedTime": clock.format_timestamp(gone.at)},
                    }
                )
        objects = objects[:budget]
        budget -= len(objects)
        if objects:
            groups.append(
                {
                    spec.key: objects,
                    "startPosition": 1,
                    "maxResults": len(objects),
                    "totalCount": len(objects),
                }
            )
    return [{"QueryResponse": groups or [{}]}]


# --- batch --------------------------------------------------------------------------------


def batch_size_check(items: Any) -> list[Mapping[str, Any]]:
    if not isinstance(items, list):
        raise faults.required_param("BatchItemRequest")
    if len(items) > MAX_BATCH_ITEMS:
        raise faults.batch_size_exceeded(len(items), MAX_BATCH_ITEMS)
    return items


def batch_writes(items: Any) -> bool:
    """Whether a batch request writes: unless its items are queries only (none with an
    `operation`), it is taken as one that does, malformed ones too."""
    if not isinstance(items, list) or not items:
        return True
    return any(not isinstance(item, dict) or "operation" in item for item in items)


def within_batch_limit(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A batch's answers, their queries' rows cut to the MAX_BATCH_OBJECTS the whole answer
    may hold (each object written counts one): the items after that answer shorter pages,
    or empty ones, and say nothing of it, as change data capture cuts its answer."""
    budget = MAX_BATCH_OBJECTS
    for answer in answers:
        section = answer.get("QueryResponse")
        if not isinstance(section, dict):
            budget -= 0 if "Fault" in answer else 1
            continue
        for key, rows in list(section.items()):
            if not isinstance(rows, list):
                continue
            kept = rows[: max(budget, 0)]
            budget -= len(kept)
            if len(kept) == len(rows):
                continue
            if kept:
                section[key] = kept
                section["maxResults"] = len(kept)
            else:  # an empty page, as QuickBooks answers one
                answer["QueryResponse"] = {}
    return answers


def batch_item(ctx: Ctx, item: Mapping[str, Any]) -> dict[str, Any]:
    """One item of a batch; a fault becomes that item's answer, not the request's."""
    bid = str(item.get("bId", ""))
    try:
        if "Query" in item:
            return {"bId": bid, "QueryResponse": query(ctx, str(item["Query"]))}
        operation = str(item.get("operation", "")).lower()
        entity_key = next((k for k in item if k not in ("bId", "operation", "optionsData")), None)
        if entity_key is None:
            raise faults.required_param("operation", "BatchItemRequest")
        spec = entity_spec(entity_key)
        payload = item[entity_key]
        if spec.name == "RecurringTransaction":
            payload = recurring.lift(payload)
        if operation == "create":
            row = create(ctx, spec, payload)
        elif operation == "update":
            row = update(ctx, spec, payload, sparse=bool(payload.get("sparse")))
        elif operation == "delete":
            row = delete(ctx, spec, payload)
        elif operation == "void":
            row = void(ctx, spec, payload)
        else:
            raise faults.invalid_enumeration("operation", operation or "(empty)")
        if spec.name == "RecurringTransaction":
            row = recurring.presented(row)
        # Answered under the key the item used (CreditCardPayment or CreditCardPaymentTxn).
        return {"bId": bid, entity_key if spec.json_name else spec.name: row}
    except faults.QBOFault as exc:
        return {"bId": bid, "Fault": exc.fault.fault_object()}


def money_default(value: Any) -> Any:
    """JSON encoding of values the standard encoders do not know: money goes out as numbers."""
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
