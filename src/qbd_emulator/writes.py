"""Add, Mod, Del and Void with QuickBooks Desktop's rules: one name space for customers, vendors,
employees and other names (3100), full names of sub-customers (jobs), sub-items and sub-classes,
references that must name an existing record (3140; an inactive class on a transaction too),
the EditSequence of every Mod (3200), records locked by another user (3170/3175/3176), the
closing date (3180), payments no larger than what is due (3210), lines kept, changed, added
(TxnLineID -1) or dropped by a Mod."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from qbd_emulator import objects, statuses
from qbd_emulator.model import ENTITY_FAMILIES, LIST_FAMILY, TXN_TYPES, Company, Record, format_time

Tree = dict[str, Any]

NAME_SPACE = {
    "Customer": ENTITY_FAMILIES,
    "Vendor": ("Vendor", "Customer", "Employee", "OtherName"),
    "Employee": ("Employee", "Customer", "Vendor", "OtherName"),
    "OtherName": ("OtherName", "Customer", "Vendor", "Employee"),
}
LINE_KEYS = {
    "Invoice": ("InvoiceLine",),
    "Bill": ("ExpenseLine", "ItemLine"),
    "Check": ("ExpenseLine", "ItemLine"),
    "CreditCardCharge": ("ExpenseLine", "ItemLine"),
    "PurchaseOrder": ("PurchaseOrderLine",),
}
# Lists whose inactive elements a transaction may not name (3140): classes. Inactive customers,
# vendors and items are taken, as the emulator has always done (docs/emulator-desktop.md).
INACTIVE_REFUSED = frozenset({"Class"})
# What a closed-period refusal says (see docs/emulator-desktop.md: the code is not documented).
CLOSED = "The transaction date is on or before the closing date of the company file."
_SKIP = {"ListID", "TxnID", "EditSequence"}


# --- references -------------------------------------------------------------------------------


def _resolve(company: Company, owner: str, where: str, tree: Tree) -> Tree:
    """`tree` with every reference checked and stored as {ListID, FullName}."""
    out: Tree = {}
    for key, value in tree.items():
        if isinstance(value, dict) and key.endswith("Ref"):
            out[key] = _reference(company, owner, where, key, value)
        elif isinstance(value, dict):
            out[key] = _resolve(company, owner, where, value)
        elif isinstance(value, list):
            out[key] = [
                _resolve(company, owner, where, v) if isinstance(v, dict) else v for v in value
            ]
        else:
            out[key] = value
    return out


def _reference(company: Company, owner: str, where: str, key: str, ref: Tree) -> Tree:
    family = objects.ref_family(key, owner)
    shown = str(ref.get("ListID") or ref.get("FullName") or "")
    kind = objects.KIND_NAMES.get(family or "", key.removesuffix("Ref"))
    if family is None or not shown:
        raise statuses.invalid_reference(kind, shown, where)
    target = objects.find_ref(company, family, ref)
    if target is None:
        raise statuses.invalid_reference(kind, shown, where)
    if family in INACTIVE_REFUSED and owner in TXN_TYPES and not target.active:
        raise statuses.inactive_reference(kind, shown, where)  # the value sent, as 3140s do
    return {"ListID": target.id, "FullName": objects.full_name(target)}


def _check_lock(company: Company, record: Record, what: str) -> None:
    lock = company.locks.get(record.id)
    if lock is None:
        return
    if lock.times is not None:
        lock.times -= 1
        if lock.times <= 0:
            del company.locks[record.id]
    raise statuses.in_use(lock.code, what, objects.full_name(record) or record.id)


def _check_sequence(record: Record, sent: str) -> None:
    if sent != str(record.edit_sequence):
        raise statuses.stale_edit(sent)


def _saved(company: Company, record: Record) -> None:
    company.changed()
    record.edit_sequence = company.new_edit_sequence()
    record.modified = company.now()


# --- lists ------------------------------------------------------------------------------------


def add_list(company: Company, kind: str, add: Tree) -> Record:
    family = LIST_FAMILY[kind]
    data = _resolve(company, kind, kind, add)
    name = str(data.get("Name", ""))
    parent = data.get("ParentRef")
    full = name
    sublevel = 0
    if parent is not None:
        parent_record = company.list_record(family, parent["ListID"])
        assert parent_record is not None
        full = f"{objects.full_name(parent_record)}:{name}"
        sublevel = int(parent_record.data.get("Sublevel", "0")) + 1
    if company.name_taken(NAME_SPACE.get(family, (family,)), full):
        raise statuses.name_in_use(name)
    data["ListID"] = company.new_list_id(family)
    data["FullName"] = full
    data["Sublevel"] = str(sublevel)
    data.setdefault("IsActive", "true")
    now = company.now()
    record = Record(kind, data, company.new_edit_sequence(), now, now)
    company.family(family)[record.id] = record
    company.changed()
    return record


def mod_list(company: Company, kind: str, mod: Tree) -> Record:
    family = LIST_FAMILY[kind]
    record = company.list_record(family, mod["ListID"])
    if record is None or record.type != kind:
        raise statuses.not_found(mod["ListID"])
    _check_lock(company, record, f"{kind} list")
    _check_sequence(record, mod["EditSequence"])
    changes = _resolve(
        company, kind, kind, _as_ret({k: v for k, v in mod.items() if k not in _SKIP})
    )
    old_full = objects.full_name(record)
    name = str(changes.get("Name", record.data.get("Name", "")))
    parent = changes.get("ParentRef", record.data.get("ParentRef"))
    full = name
    sublevel = 0
    if parent is not None:
        parent_record = company.list_record(family, parent["ListID"])
        assert parent_record is not None
        if parent_record is record or objects.full_name(parent_record).casefold().startswith(
            old_full.casefold() + ":"
        ):
            raise statuses.invalid_value(
                "ParentRef", objects.full_name(parent_record), "A record cannot be its own parent."
            )
        full = f"{objects.full_name(parent_record)}:{name}"
        sublevel = int(parent_record.data.get("Sublevel", "0")) + 1
    if full.casefold() != old_full.casefold() and company.name_taken(
        NAME_SPACE.get(family, (family,)), full, but=record
    ):
        raise statuses.name_in_use(name)
    children = [
        r
        for r in company.family(family).values()
        if objects.full_name(r).casefold().startswith(old_full.casefold() + ":")
    ]
    _merge(record.data, changes)
    record.data["FullName"] = full
    record.data["Sublevel"] = str(sublevel)
    _saved(company, record)
    for child in children:
        child_full = full + objects.full_name(child)[len(old_full) :]
        touched = child_full != objects.full_name(child)
        child.data["FullName"] = child_full
        child.data["Sublevel"] = str(child_full.count(":"))
        if changes.get("IsActive") == "false" and child.active:
            child.data["IsActive"] = "false"
            touched = True
        if touched:
            _saved(company, child)
    return record


def _as_ret(changes: Tree) -> Tree:
    """A Mod's groups under their Ret names (`SalesOrPurchaseMod` changes `SalesOrPurchase`)."""
    return {
        key.removesuffix("Mod") if key.endswith("Mod") else key: v for key, v in changes.items()
    }


def _merge(data: Tree, changes: Tree) -> None:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict) and not key.endswith("Ref"):
            _merge(data[key], value)
        else:
            data[key] = value


def delete_list(company: Company, kind: str, list_id: str) -> Record:
    family = LIST_FAMILY.get(kind)
    record = company.list_record(family, list_id) if family else None
    if record is None or record.type != kind:
        raise statuses.not_found(list_id)
    _check_lock(company, record, f"{kind} list")
    name = objects.full_name(record)
    if any(
        objects.full_name(r).casefold().startswith(name.casefold() + ":")
        for r in company.family(family or "").values()
    ):
        raise statuses.cannot_delete(
            f"{kind} list", name, "This list element has sub-elements and cannot be deleted."
        )
    if _used(company, family or "", record.id):
        raise statuses.cannot_delete(f"{kind} list", name, "This list element is in use.")
    del company.family(family or "")[record.id]
    company.changed()
    company.deleted.append(
        {
            "kind": kind,
            "ListID": record.id,
            "FullName": name,
            "TimeCreated": format_time(record.created),
            "TimeDeleted": _stamp(company),
        }
    )
    return record


def merge_list(
    company: Company, kind: str, source_id: str, source_seq: str, target_id: str, target_seq: str
) -> tuple[Record, Record]:
    """ListMerge (Account, Customer, Vendor): what names the source names the target, the
    source's sub-records move under the target, the source is deleted."""
    source = company.list_record(kind, source_id)
    target = company.list_record(kind, target_id)
    if source is None or source.type != kind:
        raise statuses.not_found(source_id)
    if target is None or target.type != kind or target is source:
        raise statuses.not_found(target_id)
    _check_lock(company, source, f"{kind} list")
    _check_lock(company, target, f"{kind} list")
    _check_sequence(source, source_seq)
    _check_sequence(target, target_seq)
    old = objects.full_name(source)
    new = objects.full_name(target)
    prefix = old.casefold() + ":"
    children = [
        r
        for r in company.family(kind).values()
        if objects.full_name(r).casefold().startswith(prefix)
    ]
    for child in children:
        moved = new + objects.full_name(child)[len(old) :]
        if company.name_taken(NAME_SPACE.get(kind, (kind,)), moved, but=child):
            raise statuses.name_in_use(str(child.data.get("Name", "")))
    for child in children:
        child.data["FullName"] = new + objects.full_name(child)[len(old) :]
        child.data["Sublevel"] = str(child.data["FullName"].count(":"))
        if (child.data.get("ParentRef") or {}).get("ListID") == source.id:
            child.data["ParentRef"] = {"ListID": target.id, "FullName": new}
        _saved(company, child)
    for record in company.all_records():
        if record is source or record in children:
            continue
        if _repoint(record.type, record.data, kind, source.id, target):
            _saved(company, record)
    del company.family(kind)[source.id]
    company.deleted.append(
        {
            "kind": kind,
            "ListID": source.id,
            "FullName": old,
            "TimeCreated": format_time(source.created),
            "TimeDeleted": _stamp(company),
        }
    )
    _saved(company, target)
    return source, target


def _repoint(owner: str, tree: Any, family: str, source_id: str, target: Record) -> bool:
    """References to the source (of that list) now name the target; True when any did."""
    changed = False
    items = tree if isinstance(tree, list) else [tree]
    for item in items:
        if not isinstance(item, dict):
            continue
        for key, value in item.items():
            if key.endswith("Ref") and isinstance(value, dict):
                named = objects.ref_family(key, owner)
                if value.get("ListID") == source_id and (
                    named == family or (named == "Entity" and family in ENTITY_FAMILIES)
                ):
                    item[key] = {"ListID": target.id, "FullName": objects.full_name(target)}
                    changed = True
            elif isinstance(value, dict | list):
                changed = _repoint(owner, value, family, source_id, target) or changed
    return changed


def _used(company: Company, family: str, list_id: str) -> bool:
    def walk(owner: str, tree: Any) -> bool:
        if isinstance(tree, list):
            return any(walk(owner, v) for v in tree)
        if not isinstance(tree, dict):
            return False
        for key, value in tree.items():
            if key.endswith("Ref") and isinstance(value, dict) and value.get("ListID") == list_id:
                target = objects.ref_family(key, owner)
                if target == family or (target == "Entity" and family in ENTITY_FAMILIES):
                    return True
            elif walk(owner, value):
                return True
        return False

    for record in company.all_records():
        if record.id == list_id and LIST_FAMILY.get(record.type) == family:
            continue
        if walk(record.type, {k: v for k, v in record.data.items() if k != "ParentRef"}):
            return True
    return False


def _stamp(company: Company) -> str:
    return format_time(company.now())


# --- transactions -----------------------------------------------------------------------------


def _closed(company: Company, kind: str, txn_date: str, element: str) -> None:
    if (
        company.closing_date is not None
        and txn_date
        and txn_date <= company.closing_date.isoformat()
    ):
        raise statuses.save_error(kind, element, CLOSED)


def _build_lines(company: Company, kind: str, base: str, lines: list[Tree]) -> list[Tree]:
    out = []
    for line in lines:
        line = dict(line)
        line.pop("TxnLineID", None)
        line = {"TxnLineID": company.new_line_id(), **_resolve(company, kind, f"{kind} line", line)}
        _amount(company, base, line)
        out.append(line)
    return out


def _amount(company: Company, base: str, line: Tree) -> None:
    """A line's Amount: as sent, or Quantity times Rate (Cost on purchase item lines), the Rate
    defaulting to the item's price."""
    if "Amount" in line:
        line["Amount"] = objects.money(objects.dec(line["Amount"]))
        return
    rate_key = "Cost" if base == "ItemLine" else "Rate"
    if rate_key not in line and "ItemRef" in line:
        item = company.list_record("Item", line["ItemRef"]["ListID"])
        price = (
            _item_price(item, purchase=base in ("ItemLine", "PurchaseOrderLine")) if item else None
        )
        if price is not None:
            line[rate_key] = price
    quantity = objects.dec(line.get("Quantity"), "1")
    line["Amount"] = objects.money(quantity * objects.dec(line.get(rate_key)))


def _item_price(item: Record, *, purchase: bool) -> str | None:
    data = item.data
    if "SalesOrPurchase" in data:
        found = data["SalesOrPurchase"].get("Price")
    elif "SalesAndPurchase" in data:
        found = data["SalesAndPurchase"].get("PurchaseCost" if purchase else "SalesPrice")
    else:
        found = data.get("PurchaseCost" if purchase else "SalesPrice")
    return None if found is None else str(found)


def _next_number(company: Company, kind: str) -> str:
    best = 0
    for record in company.txns.values():
        if record.type == kind and str(record.data.get("RefNumber", "")).isdigit():
            best = max(best, int(record.data["RefNumber"]))
    return str(best + 1)


def add_txn(company: Company, kind: str, add: Tree) -> Record:
    lines_in = {k: add[k] for k in add if k.endswith(("LineAdd", "AppliedToTxnAdd"))}
    _no_group_lines(kind, {k: v for k, v in add.items() if "Group" in k})
    header = {
        k: v
        for k, v in add.items()
        if k not in lines_in and k not in ("LinkToTxnID", "SetCredit", "IsAutoApply")
    }
    data = _resolve(company, kind, kind, header)
    data.setdefault("TxnDate", company.today().isoformat())
    element = str(data.get("RefNumber") or "")
    _closed(company, kind, data["TxnDate"], element)
    if "RefNumber" not in data and kind in ("Invoice", "PurchaseOrder"):
        data["RefNumber"] = _next_number(company, kind)
    for base in LINE_KEYS.get(kind, ()):
        lines = lines_in.get(f"{base}Add", [])
        if lines:
            data[f"{base}Ret"] = _build_lines(company, kind, base, lines)
    if kind == "ReceivePayment":
        applied = add.get("AppliedToTxnAdd", [])
        if add.get("IsAutoApply") == "true":
            applied = _auto_apply(company, data)
        data["AppliedToTxnRet"] = _applications(company, data, applied, exclude=None)
    data["TxnID"] = company.new_txn_id()
    data["TxnNumber"] = str(company.new_txn_number())
    now = company.now()
    record = Record(kind, data, company.new_edit_sequence(), now, now)
    company.txns[record.id] = record
    company.changed()
    if kind == "ReceivePayment":
        _touch_paid(company, [], data["AppliedToTxnRet"])
    return record


def _no_group_lines(kind: str, groups: Tree) -> None:
    """Group items are not emulated: a line naming one names an item that does not exist."""
    for lines in groups.values():
        for line in lines:
            ref = line.get("ItemGroupRef") or {}
            shown = str(ref.get("ListID") or ref.get("FullName") or "")
            raise statuses.invalid_reference("ItemGroup", shown, f"{kind} line")


def _auto_apply(company: Company, data: Tree) -> list[Tree]:
    """`IsAutoApply`: the payment goes to the customer's open invoices, oldest first."""
    customer = (data.get("CustomerRef") or {}).get("ListID")
    left = objects.dec(data.get("TotalAmount"))
    applied: list[Tree] = []
    invoices = sorted(
        (
            r
            for r in company.txns.values()
            if r.type == "Invoice" and (r.data.get("CustomerRef") or {}).get("ListID") == customer
        ),
        key=lambda r: (str(r.data.get("TxnDate", "")), r.created, r.id),
    )
    for invoice in invoices:
        due = objects.invoice_balance(company, invoice)
        if left <= 0:
            break
        if due <= 0:
            continue
        amount = min(due, left)
        applied.append({"TxnID": invoice.id, "PaymentAmount": objects.money(amount)})
        left -= amount
    return applied


def _applications(
    company: Company, data: Tree, applied: list[Tree], exclude: Record | None
) -> list[Tree]:
    customer = (data.get("CustomerRef") or {}).get("ListID")
    total = objects.dec(data.get("TotalAmount"))
    out: list[Tree] = []
    used = Decimal(0)
    for entry in applied:
        invoice = company.txns.get(entry["TxnID"])
        if invoice is None or invoice.type != "Invoice":
            raise statuses.not_found(entry["TxnID"])
        _check_lock(company, invoice, "Invoice")  # a payment changes the invoice it pays
        if (invoice.data.get("CustomerRef") or {}).get("ListID") != customer:
            raise statuses.invalid_value(
                "AppliedToTxnAdd TxnID",
                entry["TxnID"],
                "The transaction belongs to another customer.",
            )
        amount = objects.dec(entry.get("PaymentAmount"))
        due = objects.invoice_balance(company, invoice)
        if exclude is not None:
            due += sum(
                (
                    objects.dec(x.get("Amount"))
                    for x in exclude.data.get("AppliedToTxnRet", [])
                    if x.get("TxnID") == invoice.id
                ),
                Decimal(0),
            )
        if amount > due:
            raise statuses.invalid_value(
                "AppliedToTxnAdd payment amount",
                str(entry.get("PaymentAmount")),
                "You cannot pay more than the amount due.",
            )
        used += amount
        out.append({"TxnID": invoice.id, "Amount": objects.money(amount)})
    if used > total:
        raise statuses.invalid_value(
            "TotalAmount", objects.money(total), "The amounts applied are more than the payment."
        )
    return out


def mod_txn(company: Company, kind: str, mod: Tree) -> Record:
    record = company.txns.get(mod["TxnID"])
    if record is None or record.type != kind:
        raise statuses.not_found(mod["TxnID"])
    _check_lock(company, record, kind)
    _check_sequence(record, mod["EditSequence"])
    element = str(record.data.get("RefNumber") or "")
    _closed(company, kind, record.data.get("TxnDate", ""), element)
    lines_in = {
        k: mod[k] for k in mod if k.endswith(("LineMod", "AppliedToTxnMod", "AppliedToTxnAdd"))
    }
    header = {k: v for k, v in mod.items() if k not in _SKIP and k not in lines_in}
    changes = _resolve(company, kind, kind, _as_ret(header))
    if "TxnDate" in changes:
        _closed(company, kind, changes["TxnDate"], element)
    data = copy.deepcopy(record.data)
    clear = {base for base in LINE_KEYS.get(kind, ()) if changes.pop(f"Clear{base}s", "") == "true"}
    _merge(data, changes)
    for base in clear:
        data.pop(f"{base}Ret", None)
    for base in LINE_KEYS.get(kind, ()):
        if f"{base}Mod" in lines_in:
            data[f"{base}Ret"] = _mod_lines(
                company, kind, base, data.get(f"{base}Ret", []), lines_in[f"{base}Mod"]
            )
    if kind == "ReceivePayment":
        applied = lines_in.get("AppliedToTxnAdd") or lines_in.get("AppliedToTxnMod")
        if applied is not None:
            data["AppliedToTxnRet"] = _applications(company, data, applied, exclude=record)
        else:
            data["AppliedToTxnRet"] = _applications(
                company,
                data,
                [
                    {"TxnID": x["TxnID"], "PaymentAmount": x["Amount"]}
                    for x in data.get("AppliedToTxnRet", [])
                ],
                exclude=record,
            )
    before = record.data.get("AppliedToTxnRet", [])
    record.data = data
    _saved(company, record)
    if kind == "ReceivePayment":
        _touch_paid(company, before, data.get("AppliedToTxnRet", []))
    return record


def _mod_lines(
    company: Company, kind: str, base: str, current: list[Tree], sent: list[Tree]
) -> list[Tree]:
    """Lines sent with a known TxnLineID are changed, with -1 added; lines not sent are dropped."""
    by_id = {line["TxnLineID"]: line for line in current}
    out = []
    for line in sent:
        line_id = line.get("TxnLineID", "")
        changes = _resolve(
            company, kind, f"{kind} line", {k: v for k, v in line.items() if k != "TxnLineID"}
        )
        if line_id == "-1":
            new = {"TxnLineID": company.new_line_id(), **changes}
        elif line_id in by_id:
            new = copy.deepcopy(by_id[line_id])
            if "Amount" not in changes and ({"Quantity", "Rate", "Cost"} & set(changes)):
                new.pop("Amount", None)
            _merge(new, changes)
        else:
            raise statuses.not_found(line_id)
        _amount(company, base, new)
        out.append(new)
    return out


def delete_txn(company: Company, kind: str, txn_id: str) -> Record:
    record = company.txns.get(txn_id)
    if record is None or record.type != kind:
        raise statuses.not_found(txn_id)
    _check_lock(company, record, kind)
    _closed(company, kind, record.data.get("TxnDate", ""), str(record.data.get("RefNumber") or ""))
    del company.txns[txn_id]
    company.changed()
    _unapply(company, record)
    if kind == "ReceivePayment":
        _touch_paid(company, record.data.get("AppliedToTxnRet", []), [])
    company.deleted.append(
        {
            "kind": kind,
            "TxnID": txn_id,
            "RefNumber": str(record.data.get("RefNumber", "")),
            "TimeCreated": format_time(record.created),
            "TimeDeleted": _stamp(company),
        }
    )
    return record


def void_txn(company: Company, kind: str, txn_id: str) -> Record:
    record = company.txns.get(txn_id)
    if record is None or record.type != kind:
        raise statuses.not_found(txn_id)
    _check_lock(company, record, kind)
    _closed(company, kind, record.data.get("TxnDate", ""), str(record.data.get("RefNumber") or ""))
    if not record.voided:
        record.voided = True
        record.data["Memo"] = f"VOID: {record.data.get('Memo', '')}".rstrip()
        for base in LINE_KEYS.get(kind, ()):
            for line in record.data.get(f"{base}Ret", []):
                line["Amount"] = "0.00"
                for key in ("Quantity",):
                    line.pop(key, None)
        _unapply(company, record)
        _saved(company, record)
    return record


def _touch_paid(company: Company, before: list[Tree], after: list[Tree]) -> None:
    """An invoice whose payments change is saved too: a new EditSequence and TimeModified, so
    that a pull by modified date sees it paid (or unpaid again)."""
    old = {x["TxnID"]: x.get("Amount") for x in before}
    new = {x["TxnID"]: x.get("Amount") for x in after}
    for txn_id in sorted(set(old) | set(new)):
        invoice = company.txns.get(txn_id)
        if invoice is not None and old.get(txn_id) != new.get(txn_id):
            _saved(company, invoice)


def _unapply(company: Company, record: Record) -> None:
    """Payments applied to a deleted or voided invoice become unapplied credit."""
    if record.type != "Invoice":
        return
    for other in company.txns.values():
        if other.type != "ReceivePayment":
            continue
        lines = other.data.get("AppliedToTxnRet", [])
        kept = [x for x in lines if x.get("TxnID") != record.id]
        if len(kept) != len(lines):
            other.data["AppliedToTxnRet"] = kept
            _saved(company, other)
