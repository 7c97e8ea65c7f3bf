"""CompanyCurrency and ExchangeRate (multicurrency) through python-quickbooks over real HTTP:
currencies added to a multicurrency company, rates set and read by currency and date, and both
refused where multicurrency is off."""

from __future__ import annotations

from collections.abc import Callable

from quickbooks.batch import batch_create
from quickbooks.objects.companycurrency import CompanyCurrency
from quickbooks.objects.exchangerate import ExchangeRate

from tests.emulator.conftest import Admin, Connection
from tests.emulator.qbo_helpers import assert_fault, ok, qb_error
from tests.emulator.test_webhooks_e2e import Receiver, flush, legacy_entities, ops

MULTICURRENCY = {"preferences": {"CurrencyPrefs": {"MultiCurrencyEnabled": True}}}


def multicurrency(connect: Callable[..., Connection], admin: Admin, **app: str) -> Connection:
    conn = connect(app=admin.create_app(**app) if app else None)
    admin.patch_company(conn.realm_id, MULTICURRENCY)
    return conn


def add_currency(conn: Connection, code: str) -> CompanyCurrency:
    currency = CompanyCurrency()
    currency.Code = code
    saved: CompanyCurrency = currency.save(qb=conn.qb)
    return saved


def test_company_currencies(connect: Callable[..., Connection], admin: Admin) -> None:
    conn = multicurrency(connect, admin)
    euro = add_currency(conn, "eur")
    assert (euro.Code, euro.Name, euro.Active) == ("EUR", "Euro", True)
    assert [c.Code for c in CompanyCurrency.all(qb=conn.qb)] == ["EUR"]
    with qb_error(6240):
        add_currency(conn, "EUR")
    with qb_error(6000, "home currency"):
        add_currency(conn, "USD")
    with qb_error(2170):
        add_currency(conn, "XYZ")

    euro.Active = False  # how a currency leaves the list
    saved = euro.save(qb=conn.qb)
    assert saved.Active is False
    assert CompanyCurrency.all(qb=conn.qb) == []
    assert len(CompanyCurrency.where("Active IN (true, false)", qb=conn.qb)) == 1
    renamed = {"Id": euro.Id, "SyncToken": saved.SyncToken, "Code": "GBP", "sparse": True}
    assert_fault(conn.post("companycurrency", renamed), "6000")


def test_exchange_rates_by_currency_and_date(
    connect: Callable[..., Connection], admin: Admin
) -> None:
    conn = multicurrency(connect, admin)
    add_currency(conn, "EUR")
    rate = ExchangeRate()
    rate.SourceCurrencyCode = "EUR"
    rate.TargetCurrencyCode = "USD"
    rate.AsOfDate = "2025-03-01"
    rate.Rate = 1.08
    saved = rate.save(qb=conn.qb)  # POST /exchangerate, no Id
    assert (saved.Rate, saved.SyncToken, saved.AsOfDate) == (1.08, "0", "2025-03-01")

    later = conn.get("exchangerate", sourcecurrencycode="EUR", asofdate="2025-03-10")
    answer = ok(later, "ExchangeRate")
    assert "Id" not in answer  # an exchange rate has no Id
    assert (answer["Rate"], answer["AsOfDate"]) == (1.08, "2025-03-01")  # the latest before
    earlier = conn.get("exchangerate", sourcecurrencycode="EUR", asofdate="2025-02-01")
    assert_fault(earlier, "610", detail="Object Not Found")

    saved.Rate = 1.1
    assert saved.save(qb=conn.qb).SyncToken == "1"  # the same date: replaced
    stale = {"SourceCurrencyCode": "EUR", "AsOfDate": "2025-03-01", "Rate": 2, "SyncToken": "0"}
    assert_fault(conn.post("exchangerate", stale), "5010")
    (listed,) = ExchangeRate.filter(SourceCurrencyCode="EUR", qb=conn.qb)
    assert listed.Rate == 1.1
    unknown = {"SourceCurrencyCode": "GBP", "Rate": 1.3}
    assert_fault(conn.post("exchangerate", unknown), "2500")  # not in the currency list
    assert_fault(conn.post("exchangerate", {"SourceCurrencyCode": "EUR", "Rate": 0}), "2010")


def test_refused_without_multicurrency(conn: Connection) -> None:
    with qb_error(5030):
        add_currency(conn, "EUR")
    assert_fault(conn.get("exchangerate", sourcecurrencycode="EUR"), "5030")
    assert CompanyCurrency.all(qb=conn.qb) == []


def test_batch_and_webhooks(connect: Callable[..., Connection], admin: Admin) -> None:
    receiver = Receiver()
    try:
        conn = multicurrency(connect, admin, webhook_url=receiver.url)
        pound, yen = CompanyCurrency(), CompanyCurrency()
        pound.Code, yen.Code = "GBP", "JPY"
        result = batch_create([pound, yen], qb=conn.qb)
        assert not result.faults
        ids = [c.Id for c in result.successes]
        flush(admin)
        entities = legacy_entities(receiver.delivered(), conn.realm_id)
        assert [ops(entities, "Currency", i) for i in ids] == [["Create"], ["Create"]]
    finally:
        receiver.close()
