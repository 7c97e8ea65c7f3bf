"""What the API and the dashboard show of a record and a connection."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledgerbridge.core import catalog


@dataclass(frozen=True)
class ProblemView:
    code: str
    title: str
    meaning: str
    fix: tuple[str, ...]
    actions: tuple[str, ...]
    retriable: bool
    field: str | None = None
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    # per fix step, the screen it names (`catalog.Screen`), or None; the dashboard links them
    screens: tuple[str | None, ...] = ()

    @staticmethod
    def of(problem: Mapping[str, Any], *, desktop: bool = False) -> ProblemView:
        """The stored problem in the catalog's words (a QuickBooks Desktop connection's in
        its Desktop wording, `catalog.DESKTOP_ENTRIES`, where the fix is made at the PC)."""
        code = str(problem.get("code", catalog.QUICKBOOKS_UNKNOWN_ERROR))
        params = {k: v for k, v in (problem.get("params") or {}).items()}
        try:
            entry = catalog.entry(code, desktop=desktop)
        except KeyError:
            entry = catalog.entry(catalog.QUICKBOOKS_UNKNOWN_ERROR)
        rendered = catalog.render(entry, {k: str(v) for k, v in params.items() if v is not None})
        return ProblemView(
            code=code,
            title=rendered.title,
            meaning=rendered.meaning,
            fix=tuple(rendered.fix),
            actions=tuple(rendered.actions),
            retriable=rendered.retriable,
            field=problem.get("field"),
            params=params,
            screens=tuple(rendered.screens),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "meaning": self.meaning,
            "fix": list(self.fix),
            "actions": list(self.actions),
            "retriable": self.retriable,
            "field": self.field,
            "params": dict(self.params),
        }


@dataclass(frozen=True)
class RecordView:
    type: str
    id: str
    status: str
    version: int
    deleted: bool
    data: Mapping[str, Any]
    quickbooks_id: str | None = None
    quickbooks_number: str | None = None
    quickbooks_url: str | None = None
    problem: ProblemView | None = None
    blocked_by: tuple[str, str] | None = None
    history: tuple[Mapping[str, Any], ...] = ()
    actions: tuple[str, ...] = ()  # what can be done about it now (engine.actions.offered)
    overrides: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    # pending, and waits for a push request: auto_push leaves its type out (engine.holding)
    held: bool = False
    # a fix kept for QuickBooks Desktop's Web Connector (action, for, since, by); None: none
    waiting: Mapping[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "id": self.id,
            "status": self.status,
            "version": self.version,
            "deleted": self.deleted,
            "data": dict(self.data),
            "quickbooks_id": self.quickbooks_id,
            "quickbooks_number": self.quickbooks_number,
            "quickbooks_url": self.quickbooks_url,
            "problem": self.problem.to_json() if self.problem else None,
            "blocked_by": (
                {"type": self.blocked_by[0], "id": self.blocked_by[1]} if self.blocked_by else None
            ),
            "history": [dict(h) for h in self.history],
            "actions": list(self.actions),
            "overrides": dict(self.overrides),
            "held": self.held,
            "waiting": dict(self.waiting) if self.waiting else None,
        }


@dataclass(frozen=True)
class ConnectionView:
    id: str
    name: str
    environment: str
    status: str
    realm_id: str | None
    company_name: str | None
    counts: Mapping[str, int]
    last_pull_at: str | None
    settings: Mapping[str, Any]
    # what stops the whole connection beyond its status (the secret keys changed); None: nothing
    problem: ProblemView | None = None
    # QuickBooks' limits make the company wait until then (a 429, its window full: nothing is
    # sent before, a Retry included); None: it does not wait
    waiting_until: str | None = None
    # when a signed webhook of Intuit's last named the company (`connections.notified_at`);
    # within the last day, its periodic read is hourly (`core.periodic_reads`); None: never
    webhooks_seen_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "environment": self.environment,
            "status": self.status,
            "realm_id": self.realm_id,
            "company_name": self.company_name,
            "counts": dict(self.counts),
            "last_pull_at": self.last_pull_at,
            "settings": dict(self.settings),
            "problem": self.problem.to_json() if self.problem else None,
            "waiting_until": self.waiting_until,
            "webhooks_seen_at": self.webhooks_seen_at,
        }
