"""The Class list: ClassAdd / ClassMod / ClassQuery with QuickBooks Desktop's list rules (a
name space of its own, sub-classes by full name, ListID and EditSequence, active status, the
31-character name), and ClassRef on transactions resolved like any reference: a class that
does not exist is QuickBooks' 3140, an inactive one too (its reason says so)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from lxml import etree

from qbd_emulator.emulator import Emulator
from qbd_emulator.model import Company
from qbd_emulator.persistence import load, save
from qbd_emulator.server import EmulatorServer
from tests.qbd_emulator.helpers import code, customer_add, message, one, send


def class_add(name: str, parent: str | None = None) -> str:
    ref = f"<ParentRef><FullName>{parent}</FullName></ParentRef>" if parent else ""
    return f"<ClassAddRq><ClassAdd><Name>{name}</Name>{ref}</ClassAdd></ClassAddRq>"


def class_mod(list_id: str, sequence: str, inner: str) -> str:
    return (
        f"<ClassModRq><ClassMod><ListID>{list_id}</ListID><EditSequence>{sequence}"
        f"</EditSequence>{inner}</ClassMod></ClassModRq>"
    )


def invoice_with_class(klass: str, *, header: str | None = None, by_id: bool = False) -> str:
    ref = f"<ListID>{klass}</ListID>" if by_id else f"<FullName>{klass}</FullName>"
    top = f"<ClassRef><FullName>{header}</FullName></ClassRef>" if header else ""
    return (
        "<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Okafor, Dan</FullName></CustomerRef>"
        f"{top}<TxnDate>2026-11-20</TxnDate><RefNumber>C-1</RefNumber><InvoiceLineAdd>"
        f"<ItemRef><FullName>Labor</FullName></ItemRef><Quantity>1</Quantity><ClassRef>{ref}"
        "</ClassRef></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>"
    )


def classes(emulator: Emulator, company: Company, status: str = "All") -> dict[str, dict[str, str]]:
    rs = one(
        emulator, company, f"<ClassQueryRq><ActiveStatus>{status}</ActiveStatus></ClassQueryRq>"
    )
    return {
        str(r.findtext("FullName")): {child.tag: child.text or "" for child in r}
        for r in rs.findall("ClassRet")
    }


def test_the_demo_file_has_classes_with_a_sub_class(emulator: Emulator, company: Company) -> None:
    found = classes(emulator, company)
    assert set(found) == {"Residential", "Commercial", "Commercial:Retail"}
    assert found["Commercial:Retail"]["Name"] == "Retail"
    assert found["Commercial:Retail"]["Sublevel"] == "1"
    rs = one(emulator, company, "<PreferencesQueryRq />")
    assert rs.findtext("PreferencesRet/AccountingPreferences/IsUsingClassTracking") == "true"
    blank = emulator.create_company("Empty Books")
    assert code(one(emulator, blank, "<ClassQueryRq />")) == 1  # nothing matched
    rs = one(emulator, blank, "<PreferencesQueryRq />")
    assert rs.findtext("PreferencesRet/AccountingPreferences/IsUsingClassTracking") == "false"


def test_class_add_names_and_the_name_space(emulator: Emulator, company: Company) -> None:
    rs = one(emulator, company, class_add("North", parent="Residential"))
    assert code(rs) == 0
    made = rs.find("ClassRet")
    assert made.findtext("FullName") == "Residential:North"
    assert made.findtext("ParentRef/FullName") == "Residential"
    assert made.findtext("IsActive") == "true" and made.findtext("EditSequence")
    assert code(one(emulator, company, class_add("North", parent="Commercial"))) == 0
    taken = one(emulator, company, class_add("residential"))  # names compared without case
    assert code(taken) == 3100
    assert (
        taken.get("statusMessage")
        == 'The name "residential" of the list element is already in use.'
    )
    # classes have a name space of their own: a customer's name is free for a class
    assert code(one(emulator, company, class_add("Alvarez, Maria"))) == 0
    assert code(one(emulator, company, customer_add("Residential"))) == 0
    # the Name is 31 characters at most; longer is 3070 naming the field, nothing stored
    assert code(one(emulator, company, class_add("x" * 31))) == 0
    long = one(emulator, company, class_add("y" * 32))
    assert code(long) == 3070 and 'in the field "Name"' in long.get("statusMessage")
    assert "y" * 32 not in classes(emulator, company)
    missing = one(emulator, company, class_add("Sub", parent="Nowhere"))
    assert code(missing) == 3140
    assert 'invalid reference to QuickBooks Class "Nowhere"' in missing.get("statusMessage")


def test_class_mod_edit_sequence_rename_and_deactivation(
    emulator: Emulator, company: Company
) -> None:
    commercial = classes(emulator, company)["Commercial"]
    stale = one(emulator, company, class_mod(commercial["ListID"], "1", "<Name>Trade</Name>"))
    assert code(stale) == 3200
    assert stale.get("statusMessage") == 'The provided edit sequence "1" is out-of-date.'
    rs = one(
        emulator,
        company,
        class_mod(commercial["ListID"], commercial["EditSequence"], "<Name>Trade</Name>"),
    )
    assert code(rs) == 0 and rs.findtext("ClassRet/EditSequence") != commercial["EditSequence"]
    found = classes(emulator, company)
    assert "Trade:Retail" in found and "Commercial" not in found  # the sub-class follows
    trade = found["Trade"]
    rs = one(
        emulator,
        company,
        class_mod(trade["ListID"], trade["EditSequence"], "<IsActive>false</IsActive>"),
    )
    assert code(rs) == 0
    assert set(classes(emulator, company, "InactiveOnly")) == {"Trade", "Trade:Retail"}
    assert set(classes(emulator, company, "ActiveOnly")) == {"Residential"}
    assert set(classes(emulator, company)) == {"Residential", "Trade", "Trade:Retail"}
    unknown = one(emulator, company, class_mod("80009999-1", "1", "<Name>X</Name>"))
    assert code(unknown) == 3120
    current = classes(emulator, company)["Residential"]
    long = one(
        emulator,
        company,
        class_mod(current["ListID"], current["EditSequence"], f"<Name>{'z' * 32}</Name>"),
    )
    assert code(long) == 3070 and 'in the field "Name"' in long.get("statusMessage")
    assert classes(emulator, company)["Residential"]["EditSequence"] == current["EditSequence"]


def test_class_ref_on_transactions(emulator: Emulator, company: Company) -> None:
    residential = classes(emulator, company)["Residential"]
    rs = one(emulator, company, invoice_with_class("Commercial:Retail", header="Residential"))
    assert code(rs) == 0
    invoice = rs.find("InvoiceRet")
    assert invoice.findtext("ClassRef/ListID") == residential["ListID"]
    retail = classes(emulator, company)["Commercial:Retail"]
    assert invoice.findtext("InvoiceLineRet/ClassRef/ListID") == retail["ListID"]
    assert invoice.findtext("InvoiceLineRet/ClassRef/FullName") == "Commercial:Retail"
    by_id = one(emulator, company, invoice_with_class(residential["ListID"], by_id=True))
    assert by_id.findtext("InvoiceRet/InvoiceLineRet/ClassRef/FullName") == "Residential"
    bill = one(
        emulator,
        company,
        "<BillAddRq><BillAdd><VendorRef><FullName>Summit Lumber</FullName></VendorRef>"
        "<RefNumber>B-1</RefNumber><ExpenseLineAdd><AccountRef><FullName>Job Materials"
        "</FullName></AccountRef><Amount>40.00</Amount><ClassRef><FullName>Residential"
        "</FullName></ClassRef></ExpenseLineAdd></BillAdd></BillAddRq>",
    )
    assert bill.findtext("BillRet/ExpenseLineRet/ClassRef/FullName") == "Residential"
    # a renamed class is answered under its new full name on the transactions that use it
    rs = one(
        emulator,
        company,
        class_mod(residential["ListID"], residential["EditSequence"], "<Name>Homes</Name>"),
    )
    assert code(rs) == 0
    again = one(
        emulator,
        company,
        f"<InvoiceQueryRq><TxnID>{invoice.findtext('TxnID')}</TxnID>"
        "<IncludeLineItems>true</IncludeLineItems></InvoiceQueryRq>",
    )
    assert again.findtext("InvoiceRet/ClassRef/FullName") == "Homes"
    # a class in use cannot be deleted
    used = one(
        emulator,
        company,
        f"<ListDelRq><ListDelType>Class</ListDelType><ListID>{residential['ListID']}</ListID>"
        "</ListDelRq>",
    )
    assert code(used) == 3170 and "This list element is in use." in used.get("statusMessage")


def test_an_unknown_or_inactive_class_is_an_invalid_reference(
    emulator: Emulator, company: Company
) -> None:
    before = company.counts()
    unknown = one(emulator, company, invoice_with_class("Warranty"))
    assert code(unknown) == 3140
    assert unknown.get("statusMessage") == (
        'There is an invalid reference to QuickBooks Class "Warranty" in the Invoice line.  '
        "QuickBooks error message: Invalid argument.  The specified record does not exist in "
        "the list."
    )
    residential = classes(emulator, company)["Residential"]
    one(
        emulator,
        company,
        class_mod(residential["ListID"], residential["EditSequence"], "<IsActive>false</IsActive>"),
    )
    before = company.counts()
    inactive = one(emulator, company, invoice_with_class(residential["ListID"], by_id=True))
    assert code(inactive) == 3140
    assert inactive.get("statusMessage") == (  # the ClassRef as sent: its ListID
        f'There is an invalid reference to QuickBooks Class "{residential["ListID"]}" in the '
        "Invoice line.  QuickBooks error message: The list element is inactive."
    )
    by_name = one(emulator, company, invoice_with_class("residential"))
    assert by_name.get("statusMessage") == (  # as sent, its case too, as every 3140
        'There is an invalid reference to QuickBooks Class "residential" in the Invoice line.  '
        "QuickBooks error message: The list element is inactive."
    )
    header = one(emulator, company, invoice_with_class("Commercial", header="Residential"))
    assert code(header) == 3140 and '"Residential" in the Invoice.' in header.get("statusMessage")
    assert company.counts() == before  # nothing saved
    # a class's full name is 159 characters at most in a reference (five levels of 31)
    too_long = one(emulator, company, invoice_with_class("C" * 160))
    assert code(too_long) == 3070 and 'in the field "FullName"' in too_long.get("statusMessage")
    assert company.counts() == before
    # a sub-class of an inactive class may still be added (a list's rule, not a transaction's)
    assert code(one(emulator, company, class_add("North", parent="Residential"))) == 0


@pytest.mark.parametrize(
    "text",
    [
        message(class_add("Nul\x00Class")),
        message(class_add("Nul&#0;Class")),
        message(class_add("Half\ud800Emoji")),
        message(class_add("Half&#xD800;Emoji")),
        message(class_add("x" * 9_000_000)),  # over the 8 MB a document may be
    ],
)
def test_hostile_class_names_are_refused_whole(
    emulator: Emulator, company: Company, text: str
) -> None:
    before = company.counts()
    answer, error = emulator.process_direct(company, text)
    assert answer == "" and error is not None and error.hresult == "0x80040400"
    assert company.counts() == before


def test_classes_through_the_admin_api_and_the_state_file(tmp_path: Path) -> None:
    with (
        EmulatorServer() as server,
        httpx.Client(base_url=f"{server.url}/_emulator", timeout=30) as api,
    ):
        made = api.post("/companies", json={"name": "Classy", "preset": "demo"})
        company = made.json()["company_id"]
        answer = api.post(f"/companies/{company}/qbxml", content=message(class_add("Warranty")))
        assert answer.status_code == 200 and 'statusCode="0"' in answer.text
        export = api.get(f"/companies/{company}/export").json()
        names = {c["FullName"]: c for c in export["lists"]["Class"]}
        assert set(names) == {"Residential", "Commercial", "Commercial:Retail", "Warranty"}
        assert names["Warranty"]["IsActive"] == "true" and names["Warranty"]["EditSequence"]
        assert api.get(f"/companies/{company}").json()["counts"]["Class"] == 4
        # bytes that are not UTF-8 (a lone surrogate as CESU-8) are refused whole, not kept
        # with U+FFFD in their place
        raw = message(class_add("Bad@")).encode().replace(b"@", b"\xed\xa0\x80")
        refused = api.post(f"/companies/{company}/qbxml", content=raw)
        assert refused.status_code == 400 and refused.json()["hresult"] == "0x80040400"
        export = api.get(f"/companies/{company}/export").json()
        assert len(export["lists"]["Class"]) == 4
        path = tmp_path / "state.json"
        save(server.emulator, path)
    again = Emulator()
    load(again, path)
    kept = again.company(company)
    assert {r.data["FullName"] for r in kept.family("Class").values()} == set(names)
    assert json.loads(path.read_text())["companies"]
    # identities go on where they stopped
    rs = send(again, kept, class_add("After"))[0]
    assert rs.findtext("ClassRet/ListID") not in {c["ListID"] for c in names.values()}


@pytest.mark.parametrize(
    "request_",
    [
        "mod",  # ClassModRq is qbXML 8.0+
        "guid",  # ExternalGUID too
    ],
)
def test_an_element_newer_than_the_documents_version_is_refused_whole(
    emulator: Emulator, company: Company, request_: str
) -> None:
    """QuickBooks parses a document against its version's schema: a ClassMod or an
    ExternalGUID in a 7.0 document is a parse error (nothing done); in 8.0 it is taken."""
    residential = classes(emulator, company)["Residential"]
    guid = "{6B29FC40-CA47-1067-B31D-00DD010662DA}"
    text = (
        class_mod(residential["ListID"], residential["EditSequence"], "<Name>Homes</Name>")
        if request_ == "mod"
        else f"<CustomerAddRq><CustomerAdd><Name>Guid Test</Name><ExternalGUID>{guid}"
        "</ExternalGUID></CustomerAdd></CustomerAddRq>"
    )
    before = company.counts()
    answer, error = emulator.process_direct(company, message(text, version="7.0"))
    assert error is not None and error.hresult == "0x80040400", answer
    assert company.counts() == before
    assert set(classes(emulator, company)) == {"Residential", "Commercial", "Commercial:Retail"}
    answer, error = emulator.process_direct(company, message(text, version="8.0"))
    assert error is None, error
    assert code(etree.fromstring(answer.encode()).find("QBXMLMsgsRs")[0]) == 0
