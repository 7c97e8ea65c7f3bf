"""`include=invoiceLink` through python-quickbooks over real HTTP: the shareable pay-online link of
an invoice comes back when the company takes online payments, the invoice allows paying online
and it has a billing e-mail address; it is never stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice

from tests.emulator.api_helpers import any_item_id, new_customer
from tests.emulator.conftest import Admin, Connection

PAYMENTS = {"SalesFormsPrefs": {"ETransactionPaymentEnabled": True}}
LINK = {"include": "invoiceLink"}


@pytest.fixture
def payments(connect: Callable[..., Connection]) -> Connection:
    """A company that takes online payments (QuickBooks Payments)."""
    return connect(name="Pays Online Co", preferences=PAYMENTS)


def invoice(qb_conn: Connection, email: str | None = "ap@example.com", **fields: Any) -> Invoice:
    customer = new_customer(qb_conn.qb, f"Customer {email} {sorted(fields)}")
    line = SalesItemLine()
    line.Amount = 120
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = {"value": any_item_id(qb_conn.qb)}
    made = Invoice()
    made.CustomerRef = customer.to_ref()
    made.Line = [line]
    if email is not None:
        made.BillEmail = {"Address": email}
    for key, value in fields.items():
        setattr(made, key, value)
    return made


def test_create_and_read_with_the_link(payments: Connection) -> None:
    made = invoice(payments, AllowOnlineCreditCardPayment=True)
    saved = made.save(qb=payments.qb, params=LINK)
    link = saved.InvoiceLink
    assert link.startswith(f"{payments.base}/portal/app/CommerceNetwork/view/scs-v1-")
    assert Invoice.get(saved.Id, qb=payments.qb, params=LINK).InvoiceLink == link  # stable
    plain = payments.get(f"invoice/{saved.Id}")
    assert "InvoiceLink" not in plain.json()["Invoice"]  # only when asked for
    mixed_case = payments.get(f"invoice/{saved.Id}", include="InvoiceLink")
    assert mixed_case.json()["Invoice"]["InvoiceLink"] == link


def test_a_payments_company_allows_online_payment_by_default(payments: Connection) -> None:
    customer = new_customer(payments.qb, "Default Flags", PrimaryEmailAddr={"Address": "a@b.co"})
    body = {
        "CustomerRef": {"value": customer.Id},
        "Line": [
            {
                "Amount": 50,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": any_item_id(payments.qb)}},
            }
        ],
        "InvoiceLink": "https://example.com/forged",  # read-only: ignored
    }
    made = payments.post("invoice", body, include="invoiceLink")
    assert made.status_code == 200, made.text
    saved = made.json()["Invoice"]
    assert saved["AllowOnlineCreditCardPayment"] is True
    assert saved["AllowOnlineACHPayment"] is True
    assert saved["BillEmail"] == {"Address": "a@b.co"}  # from the customer
    assert saved["InvoiceLink"].startswith(payments.base)
    listed = payments.get(
        "query", query=f"select * from Invoice where Id = '{saved['Id']}'", include="invoiceLink"
    )
    assert listed.json()["QueryResponse"]["Invoice"][0]["InvoiceLink"] == saved["InvoiceLink"]


@pytest.mark.parametrize(
    ("email", "fields"),
    [
        (None, {"AllowOnlineCreditCardPayment": True}),  # no billing e-mail
        ("ap@example.com", {}),  # python-quickbooks sends both online flags false
    ],
    ids=["no-email", "online-payment-off"],
)
def test_no_link_without_email_or_online_payment(
    payments: Connection, email: str | None, fields: dict[str, Any]
) -> None:
    saved = invoice(payments, email, **fields).save(qb=payments.qb, params=LINK)
    assert saved.InvoiceLink == ""
    raw = payments.get(f"invoice/{saved.Id}", include="invoiceLink").json()["Invoice"]
    assert "InvoiceLink" not in raw


def test_no_link_where_the_company_takes_no_online_payments(conn: Connection, admin: Admin) -> None:
    made = invoice(conn, AllowOnlineCreditCardPayment=True, AllowOnlineACHPayment=True)
    saved = made.save(qb=conn.qb, params=LINK)
    assert saved.InvoiceLink == ""
    admin.patch_company(conn.realm_id, {"preferences": PAYMENTS})
    assert Invoice.get(saved.Id, qb=conn.qb, params=LINK).InvoiceLink.startswith(conn.base)
    stored = admin.export(conn.realm_id)["entities"]["Invoice"]
    assert all("InvoiceLink" not in row for row in stored)
