"""TaxAgency and TaxService (`POST /taxservice/taxcode`) through python-quickbooks over real HTTP:
agencies created and read but never changed, tax codes created with new and existing rates,
and the tax those codes then put on a transaction."""

from __future__ import annotations

from quickbooks.objects.invoice import Invoice
from quickbooks.objects.tax import TxnTaxDetail
from quickbooks.objects.taxagency import TaxAgency
from quickbooks.objects.taxcode import TaxCode
from quickbooks.objects.taxrate import TaxRate
from quickbooks.objects.taxservice import TaxRateDetails, TaxService

from qbo_emulator.presets.base import TAX_AGENCY_NAME
from tests.emulator.conftest import Connection
from tests.emulator.qbo_helpers import (
    assert_fault,
    new_customer,
    new_service_item,
    ok,
    qb_error,
    ref,
    sales_line,
)


def new_agency(conn: Connection, name: str = "Nevada Department of Taxation") -> TaxAgency:
    agency = TaxAgency()
    agency.DisplayName = name
    saved: TaxAgency = agency.save(qb=conn.qb)
    return saved


def test_every_company_has_its_agency_and_can_add_more(conn: Connection) -> None:
    (first,) = TaxAgency.all(qb=conn.qb)
    assert (first.Id, first.DisplayName) == ("1", TAX_AGENCY_NAME)
    rates = TaxRate.all(qb=conn.qb)
    assert rates and all(r.AgencyRef.value == "1" for r in rates)

    agency = new_agency(conn)
    assert (agency.TaxTrackedOnSales, agency.TaxTrackedOnPurchases) == (True, False)
    assert TaxAgency.get(agency.Id, qb=conn.qb).DisplayName == "Nevada Department of Taxation"
    assert [
        a.Id for a in TaxAgency.filter(DisplayName="nevada department of taxation", qb=conn.qb)
    ] == [agency.Id]
    with qb_error(6240):
        new_agency(conn, "NEVADA Department of Taxation")
    with qb_error(2020):
        new_agency(conn, "")


def test_tax_agencies_are_never_changed_or_deleted(conn: Connection) -> None:
    agency = new_agency(conn)
    body = {"Id": agency.Id, "SyncToken": "0", "DisplayName": "Renamed"}
    assert_fault(conn.post("taxagency", body), "500")  # Unsupported Operation
    assert_fault(conn.post("taxagency", body, operation="delete"), "500")
    refused = conn.get("cdc", entities="TaxAgency", changedSince="2025-01-01T00:00:00-08:00")
    assert refused.status_code == 400


def test_tax_service_creates_a_code_with_new_and_existing_rates(conn: Connection) -> None:
    agency = new_agency(conn)
    existing = TaxRate.filter(Name="California", qb=conn.qb)[0]
    service = TaxService()
    service.TaxCode = "Reno combined"
    new_rate = TaxRateDetails()
    new_rate.TaxRateName = "Reno city"
    new_rate.RateValue = 2.5
    new_rate.TaxAgencyId = agency.Id
    reused = TaxRateDetails()
    reused.TaxRateId = existing.Id
    service.TaxRateDetails = [new_rate, reused]
    created = service.save(qb=conn.qb)
    assert created.TaxCode == "Reno combined"
    assert created.TaxCodeId
    names = [(d.TaxRateName, d.TaxAgencyId) for d in created.TaxRateDetails]
    assert names == [("Reno city", agency.Id), ("California", "1")]
    new_id = created.TaxRateDetails[0].TaxRateId

    rate = TaxRate.get(new_id, qb=conn.qb)
    assert (rate.RateValue, rate.AgencyRef.value) == (2.5, agency.Id)
    code = TaxCode.get(created.TaxCodeId, qb=conn.qb)
    assert code.TaxGroup is True
    rate_ids = [d.TaxRateRef.value for d in code.SalesTaxRateList.TaxRateDetail]
    assert rate_ids == [new_id, existing.Id]

    # the new code taxes an invoice at 2.5% + the California rate (6%)
    invoice = Invoice()
    invoice.CustomerRef = new_customer(conn.qb, "Buyer").to_ref()
    invoice.Line = [sales_line(200, new_service_item(conn.qb, "Parts"), tax="TAX")]
    invoice.TxnTaxDetail = TxnTaxDetail()
    invoice.TxnTaxDetail.TxnTaxCodeRef = ref(created.TaxCodeId)
    assert invoice.save(qb=conn.qb).TxnTaxDetail.TotalTax == 17


def test_tax_service_rules(conn: Connection) -> None:
    def post(body: object) -> dict[str, str]:
        return ok(conn.post("taxservice/taxcode", body), "TaxCode")  # type: ignore[return-value]

    one = {"TaxRateName": "Town", "RateValue": "1", "TaxAgencyId": "1"}
    assert post({"TaxCode": "Town code", "TaxRateDetails": [one]}) == "Town code"
    assert_fault(
        conn.post(
            "taxservice/taxcode", {"TaxCode": "Town code", "TaxRateDetails": [{"TaxRateId": "1"}]}
        ),
        "6240",
    )  # the code's name is taken
    assert_fault(
        conn.post("taxservice/taxcode", {"TaxCode": "Other", "TaxRateDetails": [one]}), "6240"
    )  # so is the rate's
    assert_fault(conn.post("taxservice/taxcode", {"TaxCode": "Other"}), "2020")
    assert_fault(conn.post("taxservice/taxcode", {"TaxRateDetails": [one]}), "2020")
    missing_agency = {"TaxRateName": "X", "RateValue": "1", "TaxAgencyId": "99"}
    assert_fault(
        conn.post("taxservice/taxcode", {"TaxCode": "Other", "TaxRateDetails": [missing_agency]}),
        "2500",
    )
    assert_fault(
        conn.post(
            "taxservice/taxcode",
            {"TaxCode": "Other", "TaxRateDetails": [{"TaxRateName": "X", "TaxAgencyId": "1"}]},
        ),
        "2020",
    )
    assert TaxCode.filter(Name="Other", qb=conn.qb) == []  # nothing half-made
    assert TaxRate.filter(Name="X", qb=conn.qb) == []
