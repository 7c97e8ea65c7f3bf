"""A record: its status, its problem (what it means, how to fix it), one button per action it
offers, the app's values beside QuickBooks' where they drifted, and its history.

Actions that change QuickBooks itself ask first: the first POST answers a confirmation, the
second (``confirmed=yes``) acts. The outcome, or why the action was refused, is announced in
the page's live region. With htmx only the record's panel is replaced.

While the record is being sent (pending, not held) its panel asks again every two seconds
(htmx polling of the panel, which stops once the record is no longer pending), and the moment
it leaves pending the live region says so. A synced record says when QuickBooks confirmed it:
the time of its last write QuickBooks answered (the engine stores synced only then).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from ledgerbridge.core import compare, overrides, shorten
from ledgerbridge.core.status import Status
from ledgerbridge.dashboard import names, queries, web
from ledgerbridge.dashboard.accounts import DashboardUser
from ledgerbridge.dashboard.present import action_label, record_name, type_label
from ledgerbridge.engine.actions import REMOTE
from ledgerbridge.engine.errors import Invalid, Refused
from ledgerbridge.engine.views import ProblemView, RecordView

__all__ = [
    "CONFIRMED_ACTIONS",
    "Button",
    "OverrideRow",
    "Shortening",
    "buttons",
    "confirmed_at",
    "router",
    "shortening",
]

router = APIRouter()

# Actions that change QuickBooks (at once, or by what they send next): they ask first.
CONFIRMED_ACTIONS = {
    "reactivate": "This makes the {what} active again in QuickBooks, right now.",
    "renumber": "This changes the number of the other document in QuickBooks, right now. "
    "This record keeps its number.",
    "move_back": "This moves the invoice back to the app's customer in QuickBooks.",
    "align_account": "This changes the item's account in QuickBooks to the app's account.",
    "recreate": "This creates the {what} again in QuickBooks, as it was last sent.",
    "link": "This links the record to QuickBooks {entity} {quickbooks_id}. Nothing new is "
    "created in QuickBooks; later changes in the app update that QuickBooks record.",
}


_AT_THE_NEXT_UPDATE = (
    "QuickBooks Desktop is reached only when its Web Connector calls: this is done at its next "
    "update, and this page shows the outcome then."
)


def _desktop(context: dict[str, Any]) -> bool:
    return str(getattr(context["connection"], "environment", "")) == "desktop"


@dataclass(frozen=True)
class Button:
    action: str
    label: str
    params: dict[str, str] = field(default_factory=dict)
    confirm: bool = False

    @property
    def key(self) -> str:
        return self.action + "".join(f"-{v}" for v in self.params.values())


def buttons(view: RecordView) -> list[Button]:
    """The buttons of the record's offered actions (link and shorten have their own forms)."""
    found: list[Button] = []
    for action in view.actions:
        if action == "link" or (action == "shorten" and shortening(view) is not None):
            continue
        if action == "renumber":
            found.append(Button("renumber", "Renumber", {"target": "ours"}))
            found.append(
                Button(
                    "renumber", "Renumber the QuickBooks document", {"target": "quickbooks"}, True
                )
            )
        elif action == "align_account":
            found.append(Button("align_account", action_label(action), {"direction": "push"}, True))
            if "accept_quickbooks" not in view.actions:  # one name for one outcome
                found.append(
                    Button(
                        "align_account", action_label("accept_quickbooks"), {"direction": "take"}
                    )
                )
        else:
            found.append(Button(action, action_label(action), {}, action in CONFIRMED_ACTIONS))
    return found


def confirmed_at(view: RecordView) -> str | None:
    """When QuickBooks last confirmed the synced record (its newest successful write), as
    stored (ISO); None unless the record is synced."""
    if view.status != Status.SYNCED:
        return None
    for entry in view.history:  # newest first
        if entry.get("kind") in queries.SUCCESS_KINDS:
            return str(entry["at"])
    return None


@dataclass(frozen=True)
class Shortening:
    """What the Shorten form shows: the field, its value now, QuickBooks' limit, and the cuts
    with exactly what each sends (the recommended one first, and in the edit box)."""

    label: str
    value: str
    limit: int
    cuts: list[shorten.Cut]

    @property
    def recommended(self) -> shorten.Cut:
        return self.cuts[0]


def shortening(view: RecordView) -> Shortening | None:
    """The Shorten form of a record whose text is too long, or None when it offers none."""
    problem = view.problem
    if problem is None or "shorten" not in view.actions or not problem.field:
        return None
    limit = problem.params.get("limit")
    value = overrides.get_path(overrides.apply(view.data, view.overrides), problem.field)
    if not isinstance(value, str) or not str(limit or "").isdigit() or not int(str(limit)):
        return None
    cuts = shorten.choices(value, int(str(limit)), problem.field)
    return Shortening(names.field_label(problem.field), value, int(str(limit)), cuts)


@dataclass(frozen=True)
class OverrideRow:
    field: str
    app: names.Named
    quickbooks: names.Named


def _override_rows(board: web.Dashboard, connection_id: str, view: RecordView) -> list[OverrideRow]:
    """The values sent differently from the app's, then QuickBooks' values a person chose to
    keep over the app's, each labelled and with references by name (one look-up of the app's
    records and one of QuickBooks' lists for all of them)."""
    pairs = [
        (path, pair.get("app"), pair.get("quickbooks"))
        if isinstance(pair, dict)
        else (path, None, pair)
        for path, pair in view.overrides.items()
        if path != overrides.KEPT
    ]
    kept = [
        (path, pair.get("app"), pair.get("quickbooks"))
        for path, pair in (overrides.kept(view.overrides) or {}).items()
        if isinstance(pair, Mapping)
    ]
    app_keys = [
        key
        for path, app, sent in pairs
        for key in (names.app_reference(path, app), names.app_reference(path, sent))
        if key is not None
    ]
    book_keys = [
        key
        for path, app, held in kept
        for key in (names.quickbooks_reference(path, app), names.quickbooks_reference(path, held))
        if key is not None
    ]
    ledger = board.service.ledger
    known = names.app_names(ledger, connection_id, app_keys)
    books = names.quickbooks_names(ledger, connection_id, book_keys)

    def named(path: str, value: object) -> names.Named:
        key = names.app_reference(path, value)
        if key is None:
            return names.Named("" if value is None else str(value))
        name = known.get(key)
        return names.Named(name, key[1]) if name else names.Named(key[1], key[1], known=False)

    def held(path: str, value: object) -> names.Named:
        ref = names.quickbooks_reference(path, value)
        if ref is None:
            return names.Named(_brief(value, path))
        name = books.get(ref)
        if name is None:
            return names.Named(ref[1], ref[1], known=False, where="QuickBooks")
        return names.Named(name, ref[1], where="QuickBooks")

    return [
        OverrideRow(names.field_label(path), named(path, app), named(path, sent))
        for path, app, sent in pairs
    ] + [
        OverrideRow(
            f"{names.field_label(path)} (kept as in QuickBooks)", *map(held, (path, path), v)
        )
        for path, *v in kept
    ]


def _brief(value: object, path: str) -> str:
    """A kept QuickBooks value in a few words: lines counted, an address on one line."""
    if isinstance(value, list):
        return f"{len(value)} line{'' if len(value) == 1 else 's'}"
    if isinstance(value, Mapping):
        return ", ".join(str(v) for v in value.values() if v not in (None, "")) or "(nothing)"
    return compare.shown(value, path) or "(nothing)"


def _with_names(
    board: web.Dashboard, connection_id: str, view: RecordView
) -> tuple[RecordView, names.Named | None]:
    """The record with its problem naming the record it waits for (``name``), and that
    record (the blocker) by its name, its app id beside it: one look-up for both."""
    problem = view.problem
    about = None
    if problem is not None and not problem.params.get("name"):
        kind, app_id = problem.params.get("type"), problem.params.get("id")
        if isinstance(kind, str) and isinstance(app_id, str) and kind and app_id:
            about = (kind, app_id)
    blocker = (view.blocked_by[0], view.blocked_by[1]) if view.blocked_by else None
    wanted = [key for key in (blocker, about) if key is not None]
    known = names.app_names(board.service.ledger, connection_id, wanted)
    if problem is not None and about is not None and about in known:
        params = {**problem.params, "name": known[about]}
        raw = {"code": problem.code, "field": problem.field, "params": params}
        view = dataclasses.replace(view, problem=ProblemView.of(raw))
    if blocker is None:
        return view, None
    name = known.get(blocker)
    shown = names.Named(name, blocker[1]) if name else names.Named(blocker[1], blocker[1], False)
    return view, shown


def _problem_in_words(view: RecordView, drift: list[queries.DriftRow]) -> RecordView:
    """The problem's text with QuickBooks' field paths as labels ("Customer", not
    ``CustomerRef.value``) and a reference's values by name, as the side-by-side table has
    them (no look-up of its own)."""
    problem = view.problem
    if problem is None:
        return view
    params = dict(problem.params)
    path, fields = params.get("field"), params.get("fields")
    if isinstance(path, str) and path[:1].isupper():  # QuickBooks' path, not an app field
        row = next((r for r in drift if r.path == path), None)
        if row is not None and "app_value" in params:
            params["app_value"], params["quickbooks_value"] = row.sent.text, row.now.text
        params["field"] = names.field_label(path)
        params["detail"] = params["field"].lower()
    if isinstance(fields, str) and fields[:1].isupper():
        labels = (names.field_label(f.strip()) for f in fields.split(",") if f.strip())
        params["fields"] = ", ".join(dict.fromkeys(labels))
        others = [label.lower() for label in dict.fromkeys(labels_of(fields))]
        params["other_details"] = ", ".join(o for o in others if o != params.get("detail"))
    if params == dict(problem.params):
        return view
    raw = {"code": problem.code, "field": problem.field, "params": params}
    return dataclasses.replace(view, problem=ProblemView.of(raw))


def labels_of(fields: str) -> list[str]:
    """The labels of a comma-separated list of QuickBooks' field paths, in order."""
    return [names.field_label(f.strip()) for f in fields.split(",") if f.strip()]


def _polled(request: Request) -> bool:
    """A request of the panel's own polling (nobody clicked)."""
    return web.is_htmx(request) and request.headers.get("hx-trigger") == "record-panel"


def _context(
    request: Request,
    board: web.Dashboard,
    user: DashboardUser,
    connection_id: str,
    record_type: str,
    app_id: str,
) -> dict[str, Any]:
    service = board.service
    connection = service.connection(user.key_id, connection_id)
    view, blocker = _with_names(
        board, connection_id, service.record(user.key_id, connection_id, record_type, app_id)
    )
    drift = queries.quickbooks_drift(service.ledger, connection_id, record_type, app_id)
    view = _problem_in_words(view, drift)
    name = record_name(record_type, view.data)
    return {
        "title": f"{type_label(record_type)} {name or app_id}",
        "connection": connection,
        "record": view,
        "name": name,
        "buttons": buttons(view),
        "blocker": blocker,
        "override_rows": _override_rows(board, connection_id, view),
        "shortening": shortening(view),
        "drift": drift,
        # the QuickBooks object a problem names is offered only when linking to it is its fix
        "suggested_link": (
            view.problem.params.get("quickbooks_id")
            if view.problem and "link" in view.problem.actions
            else None
        )
        or "",
        "result": None,
        "confirm": None,
        "confirmed_at": confirmed_at(view),
        "polled": _polled(request),
        # work under way: the panel asks again until the record is no longer pending
        # (or a fix waits for QuickBooks Desktop's Web Connector: it asks until it is done)
        "live": ((view.status == Status.PENDING and not view.held) or view.waiting is not None)
        and connection.status == "active",
    }


def _answer(request: Request, context: dict[str, Any], status: int = 200) -> Response:
    if context["confirm"]:
        context["live"] = False  # a question waits for its answer: nothing replaces it
    template = "record_panel.html" if web.is_htmx(request) else "record.html"
    return web.render(request, template, status=status, **context)


@router.get("/connections/{connection_id}/records/{record_type}/{app_id:path}", name="record")
def record(
    request: Request,
    connection_id: str,
    record_type: str,
    app_id: str,
    user: web.SignedIn,
    board: web.Board,
) -> Response:
    return _answer(request, _context(request, board, user, connection_id, record_type, app_id))


@router.post("/connections/{connection_id}/actions/{action}", name="action")
def act(
    request: Request,
    connection_id: str,
    action: str,
    user: web.SignedIn,
    board: web.Board,
    record_type: Annotated[str, Form(alias="type")],
    app_id: Annotated[str, Form(alias="id")],
    confirmed: Annotated[str, Form()] = "",
    quickbooks_id: Annotated[str, Form()] = "",
    target: Annotated[str, Form()] = "",
    direction: Annotated[str, Form()] = "",
    number: Annotated[str, Form()] = "",
    keep: Annotated[str, Form()] = "",
    value: Annotated[str, Form()] = "",
) -> Response:
    context = _context(request, board, user, connection_id, record_type, app_id)
    view: RecordView = context["record"]
    given = {"quickbooks_id": quickbooks_id, "target": target, "direction": direction}
    params = {k: v.strip() for k, v in {**given, "number": number}.items() if v.strip()}
    if action == "shorten":  # a cut by name, or the text typed in the edit box
        params.update({"value": value} if keep == "edit" or (value and not keep) else {})
        params.update({"keep": keep} if keep and keep != "edit" else {})
    label = action_label(action)
    if action == "renumber" and params.get("target") == "quickbooks":
        label = "Renumber the QuickBooks document"
    asks = action in CONFIRMED_ACTIONS and (action != "renumber" or target == "quickbooks")
    if asks and confirmed != "yes":
        if action == "link" and not params.get("quickbooks_id"):
            context["result"] = ("error", "Enter the id of the QuickBooks record to link to.")
            return _answer(request, context, 422)
        what = type_label(view.type).lower()
        if view.problem and view.problem.params.get("quickbooks_type"):
            what = str(view.problem.params["quickbooks_type"])
        entity = {"purchase_order": "purchase order"}.get(view.type, what)
        text = CONFIRMED_ACTIONS[action].format(
            what=what if action != "reactivate" else _inactive_what(view),
            entity=entity,
            quickbooks_id=params.get("quickbooks_id", ""),
        )
        if _desktop(context) and action in REMOTE:
            text = text.replace(", right now.", ".").replace(" right now.", ".")
            inactive = _inactive_what(view) if action == "reactivate" else ""
            if inactive and inactive != "QuickBooks class":  # Desktop deletes what Online
                # can only make inactive; a class the app does not send cannot be added again
                text = text.removesuffix(".") + "; one deleted there is added again from the app."
            text += f" {_AT_THE_NEXT_UPDATE}"
        button = f"Yes, {label[0].lower()}{label[1:]}"
        context["confirm"] = {
            "action": action,
            "label": label,
            "button": button,
            "text": text,
            "params": params,
        }
        return _answer(request, context)
    try:
        done = board.service.action(
            user.key_id, connection_id, record_type, app_id, action, params, actor=user.actor
        )
    except Refused as refused:
        context["result"] = ("error", f"{label} was refused: {refused.reason}.")
        return _answer(request, context, 409)
    except Invalid as invalid:
        context["result"] = ("error", f"{label} was refused: {invalid}.")
        return _answer(request, context, 422)
    fresh = _context(request, board, user, connection_id, record_type, app_id)
    fresh["result"] = ("ok", f"{label}: {done.summary}.")
    if action == "copy_details":
        fresh["details"] = done.detail
    return _answer(request, fresh)


def _inactive_what(view: RecordView) -> str:
    code = view.problem.code if view.problem else ""
    for word in ("customer", "item", "vendor", "class"):
        if word in code:
            return f"QuickBooks {word}"
    return "QuickBooks record"
