"""The admin API under `/_emulator`: apps, companies and their settings, scripted faults, token
expiry, changes only a person in QuickBooks could make (merges, deposits, disconnects), webhook
inspection, export and reset.

Invalid input is a 422 whose body names the field: `{"error": "invalid_request", "field": ...,
"message": ...}`; unknown companies and apps are 404.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from qbo_emulator import clock, operations
from qbo_emulator.emulator import Emulator, Seeder, UnknownCompany
from qbo_emulator.http.responses import json_response, loads
from qbo_emulator.model.store import Company, ScriptedFault, Throttle
from qbo_emulator.oauth import REFRESH_TOKEN_POLICIES, OAuthServer, check_max_life
from qbo_emulator.rules import effects

Endpoint = Callable[[Request], Awaitable[Response]]


class Invalid(Exception):
    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status


def _guard(handler: Endpoint) -> Endpoint:
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except Invalid as exc:
            return json_response(
                {"error": "invalid_request", "field": exc.field, "message": exc.message},
                exc.status,
            )
        except UnknownCompany as exc:
            return json_response(
                {"error": "not_found", "field": "realm_id", "message": f"no company {exc.args[0]}"},
                404,
            )

    return wrapped


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = loads(raw)
    except ValueError:
        raise Invalid("body", "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise Invalid("body", "the body must be a JSON object")
    return body


def _string(body: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise Invalid(key, f"{key} is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise Invalid(key, f"{key} must be a non-empty string")
    return value.strip()


def _limit(section: Mapping[str, Any], key: str) -> int | float | None:
    value = section[key]
    if key == "window_seconds":  # the length of the limits' "minute": a positive number
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal) or value <= 0:
            raise Invalid(f"throttle.{key}", f"throttle.{key} must be a positive number")
        return float(value)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Invalid(f"throttle.{key}", f"throttle.{key} must be a positive integer or null")
    return value


def routes(emulator: Emulator) -> list[BaseRoute]:
    admin = _Admin(emulator)
    p = "/_emulator"
    table: list[tuple[str, Endpoint, list[str]]] = [
        (f"{p}/health", admin.health, ["GET"]),
        (f"{p}/apps", admin.create_app, ["POST"]),
        (f"{p}/apps", admin.list_apps, ["GET"]),
        (f"{p}/apps/{{client_id}}", admin.update_app, ["PATCH"]),
        (f"{p}/companies", admin.create_company, ["POST"]),
        (f"{p}/companies", admin.list_companies, ["GET"]),
        (f"{p}/companies/{{realm}}", admin.get_company, ["GET"]),
        (f"{p}/companies/{{realm}}", admin.patch_company, ["PATCH"]),
        (f"{p}/companies/{{realm}}/export", admin.export, ["GET"]),
        (f"{p}/companies/{{realm}}/faults", admin.add_fault, ["POST"]),
        (f"{p}/companies/{{realm}}/faults", admin.list_faults, ["GET"]),
        (f"{p}/companies/{{realm}}/faults", admin.clear_faults, ["DELETE"]),
        (f"{p}/companies/{{realm}}/merge", admin.merge, ["POST"]),
        (f"{p}/companies/{{realm}}/deposits", admin.deposit, ["POST"]),
        (f"{p}/companies/{{realm}}/disconnect", admin.disconnect, ["POST"]),
        (f"{p}/companies/{{realm}}/connect", admin.connect, ["POST"]),
        (f"{p}/tokens/expire", admin.expire_tokens, ["POST"]),
        (f"{p}/webhooks", admin.webhook_settings, ["PATCH"]),
        (f"{p}/webhooks/deliveries", admin.deliveries, ["GET"]),
        (f"{p}/webhooks/flush", admin.flush, ["POST"]),
        (f"{p}/reset", admin.reset, ["POST"]),
    ]
    return [Route(path, _guard(handler), methods=methods) for path, handler, methods in table]


def _app_json(app: Any) -> dict[str, Any]:
    return {
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "verifier_token": app.verifier_token,
        "redirect_uris": list(app.redirect_uris),
        "webhook_url": app.webhook_url,
        "webhook_format": app.webhook_format,
        "name": app.name,
        "refresh_token_policy": app.refresh_token_policy,
        "refresh_token_max_life": app.refresh_token_max_life,
    }


def _policy(body: Mapping[str, Any]) -> str | None:
    """`refresh_token_policy` from a body: `grace`, `strict`, or null (inherit)."""
    value = body.get("refresh_token_policy")
    if value is not None and value not in REFRESH_TOKEN_POLICIES:
        raise Invalid(
            "refresh_token_policy",
            f"refresh_token_policy must be {' or '.join(REFRESH_TOKEN_POLICIES)}, or null",
        )
    return value


def _max_life(body: Mapping[str, Any]) -> int | None:
    """`refresh_token_max_life` from a body: seconds above 0, or null (inherit)."""
    value = body.get("refresh_token_max_life")
    if value is None:
        return None
    try:
        return check_max_life(value)
    except ValueError as exc:
        raise Invalid("refresh_token_max_life", f"{exc}, or null") from None


def company_summary(
    company: Company, oauth: OAuthServer, refused: Mapping[str, int] | None = None
) -> dict[str, Any]:
    return {
        "realm_id": company.realm_id,
        "name": company.name,
        "refresh_token_policy": oauth.realm_policy(company.realm_id),
        "refresh_token_max_life": oauth.realm_max_life(company.realm_id),
        "subscription_status": company.subscription_status,
        "throttle": company.throttle.to_json(),
        "throttle_refused": (refused or {}).get(company.realm_id, 0),
        "clock": company.clock.isoformat() if company.clock else None,
        "now": clock.format_timestamp(operations.company_now(company)),
        "counts": company.counts(),
        "writes_received": dict(sorted(company.writes_received.items())),
    }


class _Admin:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def _company(self, request: Request) -> Company:
        return self.emulator.company(request.path_params["realm"])

    async def health(self, request: Request) -> Response:
        return json_response({"status": "ok", "companies": len(self.emulator.companies)})

    # --- apps -------------------------------------------------------------------------------------

    async def create_app(self, request: Request) -> Response:
        body = await _body(request)
        uris = body.get("redirect_uris", [])
        if not isinstance(uris, list) or not all(isinstance(u, str) and u for u in uris):
            raise Invalid("redirect_uris", "redirect_uris must be a list of URLs")
        webhook_format = body.get("webhook_format") or "legacy"
        if webhook_format not in ("legacy", "cloudevents"):
            raise Invalid("webhook_format", "webhook_format must be legacy or cloudevents")
        try:
            app = self.emulator.oauth.create_app(
                list(uris),
                webhook_url=_string(body, "webhook_url"),
                webhook_format=webhook_format,
                name=_string(body, "name"),
                refresh_token_policy=_policy(body),
                refresh_token_max_life=_max_life(body),
            )
        except ValueError as exc:
            raise Invalid("redirect_uris", str(exc)) from None
        return json_response(_app_json(app), 201)

    async def list_apps(self, request: Request) -> Response:
        return json_response({"apps": [_app_json(a) for a in self.emulator.oauth.apps()]})

    async def update_app(self, request: Request) -> Response:
        body = await _body(request)
        changes: dict[str, Any] = {}
        if "redirect_uris" in body:
            changes["redirect_uris"] = body["redirect_uris"]
        if "webhook_url" in body:
            changes["webhook_url"] = body["webhook_url"]
        if "webhook_format" in body:
            changes["webhook_format"] = body["webhook_format"]
        if "refresh_token_policy" in body:
            changes["refresh_token_policy"] = _policy(body)
        if "refresh_token_max_life" in body:
            changes["refresh_token_max_life"] = _max_life(body)
        try:
            app = self.emulator.oauth.update_app(request.path_params["client_id"], **changes)
        except KeyError:
            raise Invalid("client_id", "no such app", 404) from None
        except ValueError as exc:
            raise Invalid(next(iter(changes), "body"), str(exc)) from None
        return json_response(_app_json(app))

    # --- companies ----------------------------------------------------------------------------

    async def create_company(self, request: Request) -> Response:
        body = await _body(request)
        name = _string(body, "name") or "Sandbox Company"
        preset = _string(body, "preset") or "empty"
        preferences = body.get("preferences")
        if preferences is not None and not isinstance(preferences, dict):
            raise Invalid("preferences", "preferences must be an object (a partial Preferences)")
        realm_id = _string(body, "realm_id")
        if realm_id is not None and not realm_id.isdigit():
            raise Invalid("realm_id", "realm_id must be digits")
        policy = _policy(body)
        max_life = _max_life(body)
        try:
            company = self.emulator.create_company(
                name, preset=preset, preferences=preferences, realm_id=realm_id
            )
        except ValueError as exc:
            field = "preset" if "preset" in str(exc) else "realm_id"
            raise Invalid(field, str(exc)) from None
        self.emulator.oauth.set_realm_policy(company.realm_id, policy)
        self.emulator.oauth.set_realm_max_life(company.realm_id, max_life)
        return json_response(
            {
                "realm_id": company.realm_id,
                "name": company.name,
                "refresh_token_policy": policy,
                "refresh_token_max_life": max_life,
            },
            201,
        )

    async def list_companies(self, request: Request) -> Response:
        with self.emulator.lock:
            companies = [
                company_summary(c, self.emulator.oauth, self.emulator.limiter.refused)
                for c in self.emulator.companies.values()
            ]
        return json_response({"companies": companies})

    async def get_company(self, request: Request) -> Response:
        company = self._company(request)
        with self.emulator.lock:
            refused = self.emulator.limiter.refused
            return json_response(company_summary(company, self.emulator.oauth, refused))

    async def patch_company(self, request: Request) -> Response:
        company = self._company(request)
        body = await _body(request)
        allowed = {
            "preferences",
            "subscription_status",
            "throttle",
            "clock",
            "name",
            "refresh_token_policy",
            "refresh_token_max_life",
        }
        unknown = set(body) - allowed
        if unknown:
            raise Invalid(sorted(unknown)[0], f"unknown setting {sorted(unknown)[0]}")
        changes = self._validate_patch(body)
        with self.emulator.operation(company) as ctx:
            if "name" in changes:
                company.name = changes["name"]
            if "subscription_status" in changes:
                company.subscription_status = changes["subscription_status"]
                _show_subscription(company)
            if "throttle" in changes:
                for key, value in changes["throttle"].items():
                    setattr(company.throttle, key, value)
            if "clock" in changes:
                company.clock = changes["clock"]
                company.clock_set_at = clock.utcnow() if changes["clock"] else None
            if "refresh_token_policy" in body:
                self.emulator.oauth.set_realm_policy(company.realm_id, changes["policy"])
            if "refresh_token_max_life" in body:
                self.emulator.oauth.set_realm_max_life(company.realm_id, changes["max_life"])
            if "preferences" in changes:
                Seeder(company).update_preferences(changes["preferences"])
                ctx.events.append(("Preferences", "1", "Update", None))
            self.emulator.changes += 1
            return json_response(company_summary(company, self.emulator.oauth))

    def _validate_patch(self, body: Mapping[str, Any]) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if "refresh_token_policy" in body:
            changes["policy"] = _policy(body)
        if "refresh_token_max_life" in body:
            changes["max_life"] = _max_life(body)
        if "name" in body:
            changes["name"] = _string(body, "name", required=True)
        if "subscription_status" in body:
            status = body["subscription_status"]
            if status not in ("PAID", "CANCELLED"):
                raise Invalid(
                    "subscription_status", "subscription_status must be PAID or CANCELLED"
                )
            changes["subscription_status"] = status
        if "throttle" in body:
            section = body["throttle"]
            if not isinstance(section, dict):
                raise Invalid("throttle", "throttle must be an object")
            allowed = set(Throttle().to_json())
            for key in section:
                if key not in allowed:
                    raise Invalid(f"throttle.{key}", f"unknown throttle setting {key}")
            changes["throttle"] = {key: _limit(section, key) for key in section}
        if "clock" in body:
            value = body["clock"]
            if value is None:
                changes["clock"] = None
            else:
                try:
                    changes["clock"] = clock.parse_datetime(str(value))
                except ValueError:
                    raise Invalid("clock", "clock must be an ISO date-time or null") from None
        if "preferences" in body:
            prefs = body["preferences"]
            if not isinstance(prefs, dict):
                raise Invalid(
                    "preferences", "preferences must be an object (a partial Preferences)"
                )
            close = prefs.get("AccountingInfoPrefs", {}).get("BookCloseDate")
            if close is not None:
                try:
                    datetime.fromisoformat(str(close)[:10])
                except ValueError:
                    raise Invalid(
                        "preferences.AccountingInfoPrefs.BookCloseDate", "must be a YYYY-MM-DD date"
                    ) from None
            changes["preferences"] = prefs
        return changes

    async def export(self, request: Request) -> Response:
        company = self._company(request)
        with self.emulator.lock:
            body = {
                **company_summary(company, self.emulator.oauth),
                "entities": {
                    name: list(table.rows.values())
                    for name, table in company.tables.items()
                    if len(table)
                },
                "deleted": {
                    name: sorted(table.deleted, key=int)
                    for name, table in company.tables.items()
                    if table.deleted
                },
                "voided": {
                    name: sorted(table.voided, key=int)
                    for name, table in company.tables.items()
                    if table.voided
                },
            }
            return json_response(body)

    # --- scripted faults ----------------------------------------------------------------------

    async def add_fault(self, request: Request) -> Response:
        company = self._company(request)
        body = await _body(request)
        match = body.get("match") or {}
        action = body.get("action")
        if not isinstance(match, dict):
            raise Invalid("match", "match must be an object")
        if not isinstance(action, dict) or not action:
            raise Invalid(
                "action",
                "action is required: {status, code, retry_after?} | {drop_after_commit}"
                " | {latency_ms}",
            )
        times = body.get("times", 1)
        if times is not None and (
            isinstance(times, bool) or not isinstance(times, int) or times < 1
        ):
            raise Invalid("times", "times must be a positive integer or null (until cleared)")
        probability = body.get("probability", 1.0)
        if (
            isinstance(probability, bool)
            or not isinstance(probability, int | float | Decimal)
            or not 0 < probability <= 1
        ):
            raise Invalid("probability", "probability must be a number above 0, at most 1")
        seed = body.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise Invalid("seed", "seed must be an integer or null")
        in_batch = match.get("in_batch", False)
        if not isinstance(in_batch, bool):
            raise Invalid("match.in_batch", "match.in_batch must be true or false")
        writes = match.get("writes")
        if writes is not None and not isinstance(writes, bool):
            raise Invalid("match.writes", "match.writes must be true, false or null")
        fault = ScriptedFault(
            id=secrets.token_hex(4),
            method=_string(match, "method"),
            entity=_string(match, "entity"),
            operation=_string(match, "operation"),
            times=times,
            probability=float(probability),
            seed=seed,
            in_batch=in_batch,
            writes=writes,
        )
        if "status" in action or "code" in action:
            status = action.get("status", 500)
            if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
                raise Invalid("action.status", "action.status must be an HTTP error status")
            fault.status = status
            fault.code = None if action.get("code") is None else str(action["code"])
            retry_after = action.get("retry_after")
            if retry_after is not None and (
                isinstance(retry_after, bool)
                or not isinstance(retry_after, int)
                or not 0 <= retry_after <= 3600
                or status != 429
            ):
                raise Invalid(
                    "action.retry_after", "action.retry_after must be 0..3600 seconds on a 429"
                )
            fault.retry_after = retry_after
        elif in_batch:
            raise Invalid("action", "a fault inside a batch answers with {status, code}")
        elif action.get("drop_after_commit") is True:
            fault.drop_after_commit = True
        elif "latency_ms" in action:
            latency = action["latency_ms"]
            if (
                isinstance(latency, bool)
                or not isinstance(latency, int)
                or not 0 < latency <= 120_000
            ):
                raise Invalid("action.latency_ms", "action.latency_ms must be 1..120000")
            fault.latency_ms = latency
        else:
            raise Invalid("action", "unknown action")
        with self.emulator.lock:
            company.faults.append(fault)
        return json_response(fault.to_json(), 201)

    async def list_faults(self, request: Request) -> Response:
        company = self._company(request)
        with self.emulator.lock:
            return json_response({"faults": [f.to_json() for f in company.faults]})

    async def clear_faults(self, request: Request) -> Response:
        company = self._company(request)
        with self.emulator.lock:
            cleared = len(company.faults)
            company.faults.clear()
        return json_response({"cleared": cleared})

    # --- what a person does in QuickBooks -------------------------------------------------------

    async def merge(self, request: Request) -> Response:
        company = self._company(request)
        body = await _body(request)
        entity = _string(body, "entity", required=True)
        if entity not in ("Customer", "Vendor"):
            raise Invalid("entity", "entity must be Customer or Vendor")
        source = _string(body, "from_id", required=True) or ""
        target = _string(body, "into_id", required=True) or ""
        with self.emulator.operation(company) as ctx:
            try:
                survivor = merge_records(ctx, entity, source, target)
            except LookupError as exc:
                raise Invalid(str(exc.args[0]), str(exc.args[1])) from None
            return json_response({entity: survivor})

    async def deposit(self, request: Request) -> Response:
        company = self._company(request)
        body = await _body(request)
        entity = _string(body, "entity") or "Payment"
        if entity not in ("Payment", "SalesReceipt"):
            raise Invalid("entity", "entity must be Payment or SalesReceipt")
        ids = body.get("ids")
        if not isinstance(ids, list) or not ids:
            raise Invalid("ids", "ids must be a non-empty list of transaction ids")
        with self.emulator.lock:
            table = company.table(entity)
            for entity_id in ids:
                if str(entity_id) not in table.rows:
                    raise Invalid("ids", f"no {entity} {entity_id}")
            table.deposited.update(str(i) for i in ids)
            self.emulator.changes += 1
        return json_response({"deposited": sorted(table.deposited, key=int)})

    async def disconnect(self, request: Request) -> Response:
        company = self._company(request)
        self.emulator.oauth.revoke_realm(company.realm_id)
        return json_response({"realm_id": company.realm_id, "disconnected": True})

    async def connect(self, request: Request) -> Response:
        """Tokens for an app on this company without the consent page (for scripts and tests)."""
        company = self._company(request)
        body = await _body(request)
        client_id = _string(body, "client_id", required=True) or ""
        scopes = body.get("scopes") or ["com.intuit.quickbooks.accounting"]
        try:
            tokens = self.emulator.oauth.connect(client_id, company.realm_id, scopes)
        except KeyError:
            raise Invalid("client_id", "no such app", 404) from None
        except ValueError as exc:
            raise Invalid("scopes", str(exc)) from None
        return json_response({**tokens.to_json(), "realm_id": company.realm_id})

    async def expire_tokens(self, request: Request) -> Response:
        body = await _body(request)
        realm_id = _string(body, "realm_id", required=True) or ""
        self.emulator.company(realm_id)
        expired = self.emulator.oauth.expire_access_tokens(realm_id)
        refresh = 0
        if body.get("refresh_tokens") is True:
            refresh = self.emulator.oauth.expire_refresh_tokens(realm_id)
        return json_response({"access_tokens_expired": expired, "refresh_tokens_expired": refresh})

    # --- webhooks -----------------------------------------------------------------------------

    async def webhook_settings(self, request: Request) -> Response:
        body = await _body(request)
        dispatcher = self.emulator.webhooks
        for key in ("time_scale", "batch_window"):
            if key in body:
                value = body[key]
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise Invalid(key, f"{key} must be a non-negative number")
                setattr(dispatcher, key, float(value))
        return json_response(
            {"time_scale": dispatcher.time_scale, "batch_window": dispatcher.batch_window}
        )

    async def deliveries(self, request: Request) -> Response:
        client_id = request.query_params.get("client_id")
        return json_response(
            {
                "deliveries": self.emulator.webhooks.deliveries(client_id),
                "pending": self.emulator.webhooks.pending(client_id),
            }
        )

    async def flush(self, request: Request) -> Response:
        done = await asyncio.to_thread(self.emulator.webhooks.flush)
        return json_response({"flushed": done, "pending": self.emulator.webhooks.pending()})

    async def reset(self, request: Request) -> Response:
        self.emulator.reset()
        return json_response({"reset": True})


def _show_subscription(company: Company) -> None:
    """CompanyInfo's ``SubscriptionStatus`` name-value says what the subscription is."""
    info = company.table("CompanyInfo").get("1")
    if info is None:
        return
    pairs = [p for p in info.get("NameValue") or [] if p.get("Name") != "SubscriptionStatus"]
    pairs.append({"Name": "SubscriptionStatus", "Value": company.subscription_status})
    info["NameValue"] = pairs


def merge_records(ctx: Any, entity: str, source_id: str, target_id: str) -> dict[str, Any]:
    """Merge one customer (or vendor) into another, as QuickBooks does when a person gives a
    record the name of another: transactions (a vendor's expenses too) and sub-customers move,
    the source disappears."""
    company: Company = ctx.company
    table = company.table(entity)
    source = table.get(source_id)
    target = table.get(target_id)
    if source is None:
        raise LookupError("from_id", f"no {entity} {source_id}")
    if target is None or source_id == target_id:
        raise LookupError("into_id", f"no other {entity} {target_id}")
    ref_key = "CustomerRef" if entity == "Customer" else "VendorRef"
    new_ref = {"value": target["Id"], "name": target["DisplayName"]}
    touch = operations._toucher(ctx)
    for name, other in company.tables.items():
        if other.spec.refs.get(ref_key) != entity:
            continue
        for row in list(other.lookup(ref_key, (source_id,)) or []):
            touch(name, {**row, ref_key: new_ref})
    if entity == "Vendor":  # an expense names its payee in EntityRef, with the payee's type
        for row in list(company.table("Purchase").lookup("EntityRef", (source_id,)) or []):
            payee = row.get("EntityRef")
            if isinstance(payee, dict) and payee.get("type") == "Vendor":
                touch("Purchase", {**row, "EntityRef": {**new_ref, "type": "Vendor"}})
    if entity == "Customer":
        for child in list(table.lookup("ParentRef", (source_id,)) or []):
            moved = {
                **child,
                "ParentRef": new_ref,
                "FullyQualifiedName": f"{target['FullyQualifiedName']}:{child['DisplayName']}",
                "Level": int(target.get("Level", 0)) + 1,
            }
            touch("Customer", moved)
    table.remove(source_id, ctx.now)
    if entity == "Customer":
        effects.refresh_customer_balance(ctx, target_id)
    else:
        effects.refresh_vendor_balance(ctx, target_id)
    ctx.events.append((entity, target_id, "Merge", source_id))
    return target
