"""Purchases (bills, checks, credit card charges, purchase orders), transaction Mods and their
lines, and transaction queries."""

from __future__ import annotations

from lxml import etree

from qbd_emulator.emulator import Emulator
from qbd_emulator.model import Company
from tests.qbd_emulator.helpers import code, invoice_add, one, send


def bill(ref: str = "V-778", amount: str = "250.00") -> str:
    return (
        "<BillAddRq><BillAdd><VendorRef><FullName>Summit Lumber</FullName></VendorRef>"
        f"<TxnDate>2026-11-20</TxnDate><RefNumber>{ref}</RefNumber>"
        "<ExpenseLineAdd><AccountRef><FullName>Job Materials</FullName></AccountRef>"
        f"<Amount>{amount}</Amount><CustomerRef><FullName>Shah, Priya:Main House</FullName>"
        "</CustomerRef></ExpenseLineAdd>"
        "<ItemLineAdd><ItemRef><FullName>Ball Valve 3/4</FullName></ItemRef><Quantity>4</Quantity>"
        "</ItemLineAdd></BillAdd></BillAddRq>"
    )


def test_a_bill_with_expense_and_item_lines(emulator: Emulator, company: Company) -> None:
    ret = one(emulator, company, bill()).find("BillRet")
    assert ret.findtext("AmountDue") == "279.00"  # 250 + 4 x 7.25 (the item's cost)
    assert ret.findtext("ItemLineRet/Cost") == "7.25"
    assert ret.findtext("ExpenseLineRet/CustomerRef/FullName") == "Shah, Priya:Main House"
    vendor = one(
        emulator, company, "<VendorQueryRq><FullName>Summit Lumber</FullName></VendorQueryRq>"
    )
    assert vendor.findtext("VendorRet/Balance") == "279.00"  # what its bills leave to pay
    assert code(one(emulator, company, bill(ref="B" * 20))) == 0
    assert code(one(emulator, company, bill(ref="B" * 21))) == 3070


def test_checks_and_card_charges_pay_any_name(emulator: Emulator, company: Company) -> None:
    for kind, account, payee in (
        ("Check", "Checking", "County Permit Office"),
        ("CreditCardCharge", "Company Card", "Valley Plumbing Supply"),
    ):
        request = (
            f"<{kind}AddRq><{kind}Add><AccountRef><FullName>{account}</FullName></AccountRef>"
            f"<PayeeEntityRef><FullName>{payee}</FullName></PayeeEntityRef>"
            f"<RefNumber>{{}}</RefNumber><TxnDate>2026-11-21</TxnDate>"
            "<ExpenseLineAdd><AccountRef><FullName>Fuel</FullName></AccountRef>"
            "<Amount>42.10</Amount>"
            f"</ExpenseLineAdd></{kind}Add></{kind}AddRq>"
        )
        if kind == "CreditCardCharge":  # TxnDate comes before RefNumber there
            request = request.replace(
                "<RefNumber>{}</RefNumber><TxnDate>2026-11-21</TxnDate>",
                "<TxnDate>2026-11-21</TxnDate><RefNumber>{}</RefNumber>",
            )
        ret = one(emulator, company, request.format("5001")).find(f"{kind}Ret")
        assert ret.findtext("Amount") == "42.10"
        assert ret.findtext("PayeeEntityRef/FullName") == payee
        assert code(one(emulator, company, request.format("1" * 12))) == 3070


def test_a_purchase_order_numbers_itself_and_carries_the_part_number(
    emulator: Emulator, company: Company
) -> None:
    request = (
        "<PurchaseOrderAddRq><PurchaseOrderAdd><VendorRef><FullName>Valley "
        "Plumbing Supply</FullName>"
        "</VendorRef><PurchaseOrderLineAdd><ItemRef><FullName>Water Heater "
        "50gal</FullName></ItemRef>"
        "<ManufacturerPartNumber>WH-50-G</ManufacturerPartNumber><Quantity>2</Quantity>"
        "</PurchaseOrderLineAdd></PurchaseOrderAdd></PurchaseOrderAddRq>"
    )
    first = one(emulator, company, request).find("PurchaseOrderRet")
    second = one(emulator, company, request).find("PurchaseOrderRet")
    assert (first.findtext("RefNumber"), second.findtext("RefNumber")) == ("1", "2")
    assert first.findtext("TotalAmount") == "1220.00"  # 2 x the cost 610.00
    assert first.findtext("PurchaseOrderLineRet/ManufacturerPartNumber") == "WH-50-G"
    void = (
        "<TxnVoidRq><TxnVoidType>PurchaseOrder</TxnVoidType>"
        f"<TxnID>{first.findtext('TxnID')}</TxnID></TxnVoidRq>"
    )
    _answer, error = emulator.process_direct(
        company,
        (
            '<?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
            f"{void}</QBXMLMsgsRq></QBXML>"
        ),
    )
    assert error is not None and error.hresult == "0x80040400"  # not a TxnVoidType in qbXML


def test_an_invoice_mod_keeps_changes_adds_and_drops_lines(
    emulator: Emulator, company: Company
) -> None:
    add = invoice_add("Okafor, Dan").replace(
        "</InvoiceAdd>",
        (
            "<InvoiceLineAdd><ItemRef><FullName>Permit Fee</FullName></ItemRef>"
            "</InvoiceLineAdd></InvoiceAdd>"
        ),
    )
    ret = one(emulator, company, add).find("InvoiceRet")
    labor, permit = [line.findtext("TxnLineID") for line in ret.findall("InvoiceLineRet")]
    assert ret.findtext("Subtotal") == "265.00"
    mod = (
        f"<InvoiceModRq><InvoiceMod><TxnID>{ret.findtext('TxnID')}</TxnID>"
        f"<EditSequence>{ret.findtext('EditSequence')}</EditSequence><Memo>changed</Memo>"
        f"<InvoiceLineMod><TxnLineID>{labor}</TxnLineID><Quantity>3</Quantity></InvoiceLineMod>"
        "<InvoiceLineMod><TxnLineID>-1</TxnLineID><ItemRef><FullName>"
        "Inspection</FullName></ItemRef>"
        "</InvoiceLineMod></InvoiceMod></InvoiceModRq>"
    )
    changed = one(emulator, company, mod).find("InvoiceRet")
    lines = changed.findall("InvoiceLineRet")
    assert [line.findtext("ItemRef/FullName") for line in lines] == ["Labor", "Inspection"]
    assert lines[0].findtext("TxnLineID") == labor and permit not in {
        line.findtext("TxnLineID") for line in lines
    }
    assert changed.findtext("Subtotal") == "435.00"  # 3 x 95 + 150
    header_only = (
        f"<InvoiceModRq><InvoiceMod><TxnID>{ret.findtext('TxnID')}</TxnID>"
        f"<EditSequence>{changed.findtext('EditSequence')}</EditSequence><Memo>again</Memo>"
        "</InvoiceMod></InvoiceModRq>"
    )
    assert len(one(emulator, company, header_only).findall("InvoiceRet/InvoiceLineRet")) == 2


def test_transaction_queries(emulator: Emulator, company: Company) -> None:
    send(emulator, company, invoice_add("Alvarez, Maria:Main House", ref="A-1"))
    send(emulator, company, invoice_add("Okafor, Dan", ref="B-1"))
    rs = one(
        emulator,
        company,
        "<InvoiceQueryRq><EntityFilter><FullNameWithChildren>Alvarez, Maria</FullNameWithChildren>"
        "</EntityFilter><IncludeLineItems>true</IncludeLineItems></InvoiceQueryRq>",
    )
    assert [r.findtext("RefNumber") for r in rs.findall("InvoiceRet")] == ["A-1"]
    assert rs.find("InvoiceRet/InvoiceLineRet") is not None
    rs = one(
        emulator,
        company,
        "<InvoiceQueryRq><RefNumber>b-1</RefNumber><RefNumber>Z-9</RefNumber></InvoiceQueryRq>",
    )
    assert code(rs) == 0 and [r.findtext("RefNumber") for r in rs.findall("InvoiceRet")] == ["B-1"]
    rs = one(
        emulator,
        company,
        "<InvoiceQueryRq><RefNumberCaseSensitive>b-1</RefNumberCaseSensitive></InvoiceQueryRq>",
    )
    assert code(rs) == 1  # a RefNumber is a filter: nothing matched
    rs = one(
        emulator,
        company,
        "<InvoiceQueryRq><PaidStatus>NotPaidOnly</PaidStatus><IncludeRetElement>"
        "TxnID</IncludeRetElement>"
        "<IncludeRetElement>RefNumber</IncludeRetElement></InvoiceQueryRq>",
    )
    assert [[child.tag for child in r] for r in rs.findall("InvoiceRet")] == [
        ["TxnID", "RefNumber"]
    ] * 2


def test_an_entity_filter_by_list_id_or_full_name_finds_that_entitys_transactions(
    emulator: Emulator, company: Company
) -> None:
    """ListID and FullName repeat in an EntityFilter: a transaction matches any one given."""
    send(emulator, company, invoice_add("Alvarez, Maria:Main House", ref="A-1"))
    send(emulator, company, invoice_add("Okafor, Dan", ref="B-1"))
    job = company.by_full_name("Customer", "Alvarez, Maria:Main House")
    assert job is not None

    def numbers(entity: str) -> list[str | None]:
        rs = one(
            emulator,
            company,
            f"<InvoiceQueryRq><EntityFilter>{entity}</EntityFilter></InvoiceQueryRq>",
        )
        return [r.findtext("RefNumber") for r in rs.findall("InvoiceRet")]

    assert numbers(f"<ListID>{job.id}</ListID>") == ["A-1"]
    assert numbers(f"<ListID>80000999-1</ListID><ListID>{job.id}</ListID>") == ["A-1"]
    assert numbers("<FullName>okafor, dan</FullName>") == ["B-1"]
    both = "<FullName>Okafor, Dan</FullName><FullName>Alvarez, Maria:Main House</FullName>"
    assert numbers(both) == ["A-1", "B-1"]
    assert numbers("<ListID>80000999-1</ListID>") == []


def test_a_list_query_by_ids_reports_what_is_missing(emulator: Emulator, company: Company) -> None:
    known = company.by_full_name("Vendor", "Summit Lumber")
    assert known is not None
    rs = one(
        emulator,
        company,
        f"<VendorQueryRq><ListID>{known.id}</ListID><ListID>80000999-1</ListID></VendorQueryRq>",
    )
    assert code(rs) == 500 and '("80000999-1")' in rs.get("statusMessage")
    assert [r.findtext("Name") for r in rs.findall("VendorRet")] == ["Summit Lumber"]
    assert etree.iselement(rs)


def test_metadata_only_counts(emulator: Emulator, company: Company) -> None:
    rs = one(emulator, company, '<VendorQueryRq metaData="MetaDataOnly" />')
    assert rs.get("retCount") == "3" and len(rs) == 0
    rs = one(emulator, company, '<VendorQueryRq metaData="MetaDataAndResponseData" />')
    assert rs.get("retCount") == "3" and len(rs) == 3
