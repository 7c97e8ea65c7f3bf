"""The emulator's whole state and the operations on it that are not HTTP: companies, the OAuth
server, webhooks, throttling and persistence. The HTTP layer (`qbo_emulator.http`) and tests both
work through an `Emulator`.

All company data is guarded by one lock; requests are short, so contention stays low.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast

from qbo_emulator import clock, operations
from qbo_emulator.model.specs import SPECS
from qbo_emulator.model.store import Company, Row
from qbo_emulator.oauth import GRACE, REFRESH_TOKEN_MAX_LIFE, OAuthServer
from qbo_emulator.presets import apply_preset
from qbo_emulator.presets.base import default_company_info, default_preferences
from qbo_emulator.rules.context import Ctx
from qbo_emulator.throttle import Limiter
from qbo_emulator.webhooks import (
    ChangeEvent,
    Operation,
    WebhookDispatcher,
    WebhookFormat,
    WebhookTarget,
)

PRESETS = {"empty": "blank", "blank": "blank", "demo": "demo"}


class UnknownCompany(KeyError):
    pass


class Emulator:
    def __init__(
        self,
        *,
        webhook_time_scale: float = 1.0,
        webhook_batch_window: float = 1.0,
        refresh_token_policy: str = GRACE,
        refresh_token_max_life: int = REFRESH_TOKEN_MAX_LIFE,
        oauth_clock: Callable[[], float] = time.time,
    ) -> None:
        self.lock = threading.RLock()
        self.companies: dict[str, Company] = {}
        self.oauth_clock = oauth_clock  # the OAuth server's time (clock.py)
        self.oauth = OAuthServer(
            self,
            now=oauth_clock,
            refresh_token_policy=refresh_token_policy,
            refresh_token_max_life=refresh_token_max_life,
        )
        self.webhooks = WebhookDispatcher(
            time_scale=webhook_time_scale, batch_window=webhook_batch_window
        )
        self.limiter = Limiter()
        # how a fault's scripted latency is waited out (`qbo_emulator.testing.HeldLatency`
        # holds it until a test releases it instead)
        self.latency: Callable[[float], Awaitable[None]] = asyncio.sleep
        self.changes = 0  # bumped on every change, for persistence

    # --- CompanyDirectory, for the consent page ---------------------------------------------

    def company_names(self) -> list[tuple[str, str]]:
        with self.lock:
            return [(c.realm_id, c.name) for c in self.companies.values()]

    def company_exists(self, realm_id: str) -> bool:
        return realm_id in self.companies

    # --- companies ------------------------------------------------------------------------------

    def company(self, realm_id: str) -> Company:
        try:
            return self.companies[realm_id]
        except KeyError:
            raise UnknownCompany(realm_id) from None

    def create_company(
        self,
        name: str,
        *,
        preset: str = "empty",
        preferences: Mapping[str, Any] | None = None,
        realm_id: str | None = None,
    ) -> Company:
        if preset not in PRESETS:
            raise ValueError(f"preset must be one of {', '.join(sorted(PRESETS))}")
        with self.lock:
            if realm_id is None:
                realm_id = self._new_realm_id()
            elif realm_id in self.companies:
                raise ValueError(f"a company with realm_id {realm_id} already exists")
            company = Company(realm_id=realm_id, name=name, created_at=clock.utcnow())
            seeder = Seeder(company)
            seeder.insert_readonly("Preferences", default_preferences(name))
            seeder.insert_readonly(
                "CompanyInfo",
                default_company_info(name, realm_id, seeder.today()),
            )
            apply_preset(seeder, PRESETS[preset])
            if preferences:
                seeder.update_preferences(dict(preferences))
            self.companies[realm_id] = company
            self.changes += 1
            return company

    def _new_realm_id(self) -> str:
        while True:
            candidate = str(9_130_000_000_000_000 + secrets.randbelow(10**14))
            if candidate not in self.companies:
                return candidate

    def reset(self) -> None:
        """Forget every company (and the connections to them); registered apps stay."""
        with self.lock:
            for realm_id in list(self.companies):
                self.oauth.forget_realm(realm_id)
                self.limiter.forget(realm_id)
            self.companies.clear()
            self.webhooks.clear()
            self.changes += 1

    # --- writes and their notifications ---------------------------------------------------------

    @contextmanager
    def operation(self, company: Company, include: tuple[str, ...] = ()) -> Iterator[Ctx]:
        """A context for one operation under the lock; its change events are published after."""
        with self.lock:
            ctx = operations.new_ctx(company, include)
            try:
                yield ctx
            finally:
                if ctx.events:
                    self.changes += 1
                    self.publish(company, ctx.now, ctx.events)

    def publish(
        self, company: Company, when: datetime, events: list[tuple[str, str, str, str | None]]
    ) -> None:
        targets = [
            WebhookTarget(
                app.client_id, app.webhook_url, app.verifier_token, _format(app.webhook_format)
            )
            for app in self.oauth.apps_connected_to(company.realm_id)
            if app.webhook_url
        ]
        if not targets:
            return
        for entity, entity_id, operation, deleted_id in events:
            if not SPECS[entity].webhooks:
                continue
            event = ChangeEvent(
                realm_id=company.realm_id,
                entity=SPECS[entity].webhook_name or entity,
                entity_id=entity_id,
                operation=_operation(operation),
                last_updated=when,
                deleted_id=deleted_id,
            )
            for target in targets:
                self.webhooks.publish(target, event)


def _format(value: str) -> WebhookFormat:
    return "cloudevents" if value == "cloudevents" else "legacy"


def _operation(value: str) -> Operation:
    return cast(Operation, value)


class Seeder:
    """A company as the presets see it (`qbo_emulator.presets.SeedTarget`)."""

    def __init__(self, company: Company) -> None:
        self.company = company

    def _ctx(self) -> Ctx:
        return operations.new_ctx(self.company)

    def create(self, entity: str, payload: dict[str, Any]) -> dict[str, Any]:
        return operations.create(self._ctx(), SPECS[entity], payload)

    def insert_readonly(self, entity: str, obj: dict[str, Any]) -> dict[str, Any]:
        ctx = self._ctx()
        table = self.company.table(entity)
        entity_id = "1" if entity in ("Preferences", "CompanyInfo") else table.allocate_id()
        row: Row = {**obj, "Id": entity_id, "SyncToken": "0", "domain": "QBO", "sparse": False}
        stamp = clock.format_timestamp(ctx.now)
        row["MetaData"] = {"CreateTime": stamp, "LastUpdatedTime": stamp}
        table.put(row, ctx.now)
        return row

    def update_preferences(self, patch: dict[str, Any]) -> None:
        ctx = self._ctx()
        table = self.company.table("Preferences")
        current = table.get("1")
        assert current is not None, "Preferences are created with the company"
        row = operations.deep_merge(current, patch)
        row["SyncToken"] = str(int(current["SyncToken"]) + 1)
        row["MetaData"] = {
            "CreateTime": current["MetaData"]["CreateTime"],
            "LastUpdatedTime": clock.format_timestamp(ctx.now),
        }
        table.put(row, ctx.now)

    def today(self) -> Any:
        return self._ctx().today
