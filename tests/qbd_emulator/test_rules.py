"""QuickBooks Desktop's rules: the shared name space, jobs, EditSequence, references, locks, the
closing date, message sets (onError, requestID), deletes and voids, payments."""

from __future__ import annotations

from datetime import date

from qbd_emulator.emulator import Emulator
from qbd_emulator.model import Company, Lock
from tests.qbd_emulator.helpers import code, customer_add, invoice_add, one, send


def test_customer_vendor_employee_other_name_share_one_name_space(
    emulator: Emulator, company: Company
) -> None:
    assert code(one(emulator, company, customer_add("Harbor Homes"))) == 0
    rs = one(
        emulator,
        company,
        "<VendorAddRq><VendorAdd><Name>HARBOR homes</Name></VendorAdd></VendorAddRq>",
    )
    assert code(rs) == 3100
    assert (
        rs.get("statusMessage") == 'The name "HARBOR homes" of the list element is already in use.'
    )
    assert code(one(emulator, company, customer_add("Jordan Lee"))) == 3100  # the demo's employee
    assert code(one(emulator, company, customer_add("County Permit Office"))) == 3100  # other name


def test_a_job_is_named_under_its_parent_and_may_repeat_a_name_elsewhere(
    emulator: Emulator, company: Company
) -> None:
    rs = one(emulator, company, customer_add("Kitchen", parent="Alvarez, Maria"))
    assert code(rs) == 0
    assert rs.findtext("CustomerRet/FullName") == "Alvarez, Maria:Kitchen"
    assert rs.findtext("CustomerRet/Sublevel") == "1"
    assert code(one(emulator, company, customer_add("Kitchen", parent="Okafor, Dan"))) == 0
    assert code(one(emulator, company, customer_add("Kitchen"))) == 0
    assert code(one(emulator, company, customer_add("kitchen", parent="Alvarez, Maria"))) == 3100


def test_mod_needs_the_current_edit_sequence(emulator: Emulator, company: Company) -> None:
    ret = one(emulator, company, customer_add("Lopez")).find("CustomerRet")
    list_id, sequence = ret.findtext("ListID"), ret.findtext("EditSequence")
    mod = (
        f"<CustomerModRq><CustomerMod><ListID>{list_id}</ListID><EditSequence>"
        f"{{}}</EditSequence><CompanyName>Lopez LLC</CompanyName></CustomerMod>"
        "</CustomerModRq>"
    )
    first = one(emulator, company, mod.format(sequence))
    assert code(first) == 0
    assert first.findtext("CustomerRet/EditSequence") != sequence
    stale = one(emulator, company, mod.format(sequence))
    assert code(stale) == 3200
    assert stale.get("statusMessage") == f'The provided edit sequence "{sequence}" is out-of-date.'


def test_renaming_a_parent_renames_its_jobs(emulator: Emulator, company: Company) -> None:
    parent = one(emulator, company, customer_add("Reyes")).find("CustomerRet")
    one(emulator, company, customer_add("Garage", parent="Reyes"))
    mod = (
        f"<CustomerModRq><CustomerMod><ListID>{parent.findtext('ListID')}</ListID><EditSequence>"
        f"{parent.findtext('EditSequence')}</EditSequence><Name>Reyes "
        "Family</Name></CustomerMod></CustomerModRq>"
    )
    assert code(one(emulator, company, mod)) == 0
    rs = one(
        emulator,
        company,
        "<CustomerQueryRq><FullName>Reyes Family:Garage</FullName></CustomerQueryRq>",
    )
    assert code(rs) == 0


def test_unknown_records_and_references(emulator: Emulator, company: Company) -> None:
    mod = (
        "<CustomerModRq><CustomerMod><ListID>80000999-1</ListID><EditSequence>"
        "1</EditSequence></CustomerMod></CustomerModRq>"
    )
    rs = one(emulator, company, mod)
    assert code(rs) == 3120
    assert rs.get("statusMessage").startswith(
        'Object "80000999-1" specified in the request cannot be found.'
    )
    rs = one(emulator, company, invoice_add("Nobody"))
    assert code(rs) == 3140
    assert rs.get("statusMessage").startswith(
        'There is an invalid reference to QuickBooks Customer "Nobody" in the Invoice.'
    )
    rs = one(emulator, company, invoice_add("Alvarez, Maria", item="Unobtainium"))
    assert code(rs) == 3140 and 'Item "Unobtainium" in the Invoice line' in rs.get("statusMessage")


def test_field_limits(emulator: Emulator, company: Company) -> None:
    assert code(one(emulator, company, customer_add("x" * 41))) == 0
    rs = one(emulator, company, customer_add("y" * 42))
    assert code(rs) == 3070
    assert rs.get("statusMessage") == f'The string "{"y" * 42}" in the field "Name" is too long.'
    item = "<ItemServiceAddRq><ItemServiceAdd><Name>{}</Name></ItemServiceAdd></ItemServiceAddRq>"
    assert code(one(emulator, company, item.format("i" * 31))) == 0
    assert code(one(emulator, company, item.format("j" * 32))) == 3070
    assert code(one(emulator, company, invoice_add("Alvarez, Maria", ref="1" * 11))) == 0
    assert code(one(emulator, company, invoice_add("Alvarez, Maria", ref="2" * 12))) == 3070
    part = (
        "<ItemInventoryAddRq><ItemInventoryAdd><Name>Pump</Name><ManufacturerPartNumber>"
        "{}</ManufacturerPartNumber></ItemInventoryAdd></ItemInventoryAddRq>"
    )
    assert code(one(emulator, company, part.format("P" * 32))) == 3070
    rs = one(emulator, company, part.format("P-100"))
    assert rs.findtext("ItemInventoryRet/ManufacturerPartNumber") == "P-100"


def test_invoice_amounts_and_a_payment_that_pays_it(emulator: Emulator, company: Company) -> None:
    invoice = one(emulator, company, invoice_add("Alvarez, Maria:Main House", qty="3")).find(
        "InvoiceRet"
    )
    assert invoice.findtext("InvoiceLineRet/Rate") == "95.00"
    assert invoice.findtext("BalanceRemaining") == "285.00"
    txn = invoice.findtext("TxnID")
    pay = (
        "<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>"
        "Alvarez, Maria:Main House</FullName></CustomerRef>"
        "<TotalAmount>{total}</TotalAmount><AppliedToTxnAdd><TxnID>{txn}<"
        "/TxnID><PaymentAmount>{amount}</PaymentAmount>"
        "</AppliedToTxnAdd></ReceivePaymentAdd></ReceivePaymentAddRq>"
    )
    over = one(emulator, company, pay.format(total="300.00", txn=txn, amount="300.00"))
    assert code(over) == 3210 and over.get("statusMessage").endswith(
        "You cannot pay more than the amount due."
    )
    ok = one(emulator, company, pay.format(total="285.00", txn=txn, amount="285.00"))
    assert code(ok) == 0
    rs = one(emulator, company, f"<InvoiceQueryRq><TxnID>{txn}</TxnID></InvoiceQueryRq>")
    assert rs.findtext("InvoiceRet/IsPaid") == "true"
    assert rs.find("InvoiceRet/InvoiceLineRet") is None  # lines only with IncludeLineItems


def test_locked_records_answer_the_lock_codes(emulator: Emulator, company: Company) -> None:
    ret = one(emulator, company, customer_add("Locked Co")).find("CustomerRet")
    list_id = ret.findtext("ListID")
    mod = (
        f"<CustomerModRq><CustomerMod><ListID>{list_id}</ListID><EditSequence>"
        f"{ret.findtext('EditSequence')}</EditSequence><Phone>555</Phone>"
        "</CustomerMod></CustomerModRq>"
    )
    for lock_code in (3170, 3175, 3176):
        company.locks[list_id] = Lock(list_id, lock_code, 1)
        assert code(one(emulator, company, mod)) == lock_code
    assert code(one(emulator, company, mod)) == 0


def test_the_closing_date_refuses_transactions_on_or_before_it(
    emulator: Emulator, company: Company
) -> None:
    company.closing_date = date(2026, 10, 31)
    rs = one(emulator, company, invoice_add("Alvarez, Maria", date="2026-10-31"))
    assert code(rs) == 3180 and "closing date" in rs.get("statusMessage")
    assert code(one(emulator, company, invoice_add("Alvarez, Maria", date="2026-11-01"))) == 0
    answer = one(emulator, company, "<PreferencesQueryRq />")
    assert answer.findtext("PreferencesRet/AccountingPreferences/ClosingDate") == "2026-10-31"


def test_stop_on_error_leaves_the_rest_unprocessed_and_echoes_request_ids(
    emulator: Emulator, company: Company
) -> None:
    answers = send(
        emulator,
        company,
        customer_add("A1", rid="a"),
        customer_add("A1", rid="b"),
        customer_add("A2", rid="c"),
    )
    assert [(rs.get("requestID"), code(rs)) for rs in answers] == [
        ("a", 0),
        ("b", 3100),
        ("c", 3231),
    ]
    answers = send(
        emulator,
        company,
        customer_add("B1", rid="a"),
        customer_add("B1", rid="b"),
        customer_add("B2", rid="c"),
        on_error="continueOnError",
    )
    assert [code(rs) for rs in answers] == [0, 3100, 0]


def test_delete_and_void(emulator: Emulator, company: Company) -> None:
    ret = one(emulator, company, customer_add("Gone Soon")).find("CustomerRet")
    rs = one(
        emulator,
        company,
        (
            f"<ListDelRq><ListDelType>Customer</ListDelType><ListID>{ret.findtext('ListID')}<"
            "/ListID></ListDelRq>"
        ),
    )
    assert code(rs) == 0 and rs.findtext("FullName") == "Gone Soon"
    invoice = one(emulator, company, invoice_add("Okafor, Dan")).find("InvoiceRet")
    txn = invoice.findtext("TxnID")
    customer = company.by_full_name("Customer", "Okafor, Dan")
    assert customer is not None
    rs = one(
        emulator,
        company,
        f"<ListDelRq><ListDelType>Customer</ListDelType><ListID>{customer.id}</ListID></ListDelRq>",
    )
    assert code(rs) != 0  # has jobs and transactions
    rs = one(
        emulator,
        company,
        f"<TxnVoidRq><TxnVoidType>Invoice</TxnVoidType><TxnID>{txn}</TxnID></TxnVoidRq>",
    )
    assert code(rs) == 0
    assert company.txns[txn].voided
    rs = one(
        emulator,
        company,
        f"<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>{txn}</TxnID></TxnDelRq>",
    )
    assert code(rs) == 0 and txn not in company.txns
    assert (
        code(
            one(
                emulator,
                company,
                f"<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>{txn}</TxnID></TxnDelRq>",
            )
        )
        == 3120
    )


def test_active_status_filters(emulator: Emulator, company: Company) -> None:
    ret = one(emulator, company, customer_add("Sleepy")).find("CustomerRet")
    mod = (
        f"<CustomerModRq><CustomerMod><ListID>{ret.findtext('ListID')}<"
        f"/ListID><EditSequence>{ret.findtext('EditSequence')}</EditSequence>"
        "<IsActive>false</IsActive></CustomerMod></CustomerModRq>"
    )
    assert code(one(emulator, company, mod)) == 0
    names = lambda rs: [r.findtext("FullName") for r in rs.findall("CustomerRet")]  # noqa: E731
    assert "Sleepy" not in names(one(emulator, company, "<CustomerQueryRq />"))
    assert names(
        one(
            emulator,
            company,
            "<CustomerQueryRq><ActiveStatus>InactiveOnly</ActiveStatus></CustomerQueryRq>",
        )
    ) == ["Sleepy"]
    assert "Sleepy" in names(
        one(
            emulator, company, "<CustomerQueryRq><ActiveStatus>All</ActiveStatus></CustomerQueryRq>"
        )
    )
    assert code(one(emulator, company, customer_add("Sleepy"))) == 3100  # inactive names stay taken


def test_modified_date_filters(emulator: Emulator, company: Company) -> None:
    from datetime import datetime

    from qbd_emulator.model import PACIFIC

    company.clock = datetime(2030, 1, 2, 9, 0, tzinfo=PACIFIC)
    company.clock_set_at = datetime.now(PACIFIC)
    one(emulator, company, customer_add("Newcomer"))
    rs = one(
        emulator,
        company,
        "<CustomerQueryRq><FromModifiedDate>2030-01-02</FromModifiedDate></CustomerQueryRq>",
    )
    assert [r.findtext("Name") for r in rs.findall("CustomerRet")] == ["Newcomer"]
    rs = one(
        emulator,
        company,
        (
            "<CustomerQueryRq><FromModifiedDate>2030-01-03T00:00:00</FromModifiedDate>"
            "</CustomerQueryRq>"
        ),
    )
    assert code(rs) == 1
    rs = one(
        emulator,
        company,
        "<CustomerQueryRq><ToModifiedDate>2030-01-01</ToModifiedDate></CustomerQueryRq>",
    )
    assert "Newcomer" not in [r.findtext("Name") for r in rs.findall("CustomerRet")]


def test_host_company_and_preferences(emulator: Emulator, company: Company) -> None:
    host, comp = send(emulator, company, '<HostQueryRq requestID="h" />', "<CompanyQueryRq />")
    assert "13.0" in [v.text for v in host.findall("HostRet/SupportedQBXMLVersion")]
    assert comp.findtext("CompanyRet/CompanyName") == "Summit Ridge Builders"


def test_queries_of_the_reference_lists(emulator: Emulator, company: Company) -> None:
    for request, ret, expected in (
        ("AccountQueryRq", "AccountRet", "Checking"),
        ("PaymentMethodQueryRq", "PaymentMethodRet", "Visa"),
        ("TermsQueryRq", "StandardTermsRet", "Net 30"),
        ("SalesTaxCodeQueryRq", "SalesTaxCodeRet", "Non"),
        ("ItemQueryRq", "ItemInventoryRet", "Water Heater 50gal"),
    ):
        rs = one(emulator, company, f"<{request} />")
        assert expected in [r.findtext("Name") for r in rs.findall(ret)], request


def test_a_payment_on_a_locked_invoice_is_in_use(emulator: Emulator, company: Company) -> None:
    invoice = one(emulator, company, invoice_add("Shah, Priya")).find("InvoiceRet")
    txn = invoice.findtext("TxnID")
    company.locks[txn] = Lock(txn, 3175, None)
    pay = (
        "<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Shah, Priya</FullName>"
        f"</CustomerRef><TotalAmount>10.00</TotalAmount><AppliedToTxnAdd><TxnID>{txn}</TxnID>"
        "<PaymentAmount>10.00</PaymentAmount></AppliedToTxnAdd></ReceivePaymentAdd>"
        "</ReceivePaymentAddRq>"
    )
    assert one(emulator, company, pay).get("statusCode") == "3175"


def test_a_payment_saves_the_invoice_it_pays(emulator: Emulator, company: Company) -> None:
    invoice = one(emulator, company, invoice_add("Shah, Priya:Main House")).find("InvoiceRet")
    txn, sequence = invoice.findtext("TxnID"), invoice.findtext("EditSequence")
    pay = (
        "<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Shah, Priya:Main House"
        f"</FullName></CustomerRef><TotalAmount>190.00</TotalAmount><AppliedToTxnAdd><TxnID>{txn}"
        "</TxnID><PaymentAmount>190.00</PaymentAmount></AppliedToTxnAdd></ReceivePaymentAdd>"
        "</ReceivePaymentAddRq>"
    )
    payment = one(emulator, company, pay).find("ReceivePaymentRet")
    assert payment.findtext("AppliedToTxnRet/BalanceRemaining") == "0.00"
    paid = one(emulator, company, f"<InvoiceQueryRq><TxnID>{txn}</TxnID></InvoiceQueryRq>")
    assert paid.findtext("InvoiceRet/EditSequence") != sequence
    assert paid.findtext("InvoiceRet/IsPaid") == "true"
    delete = (
        "<TxnDelRq><TxnDelType>ReceivePayment</TxnDelType>"
        f"<TxnID>{payment.findtext('TxnID')}</TxnID></TxnDelRq>"
    )
    assert code(one(emulator, company, delete)) == 0
    unpaid = one(emulator, company, f"<InvoiceQueryRq><TxnID>{txn}</TxnID></InvoiceQueryRq>")
    assert unpaid.findtext("InvoiceRet/BalanceRemaining") == "190.00"
    assert unpaid.findtext("InvoiceRet/EditSequence") != paid.findtext("InvoiceRet/EditSequence")


def test_deleted_records_are_listed(emulator: Emulator, company: Company) -> None:
    gone = one(emulator, company, customer_add("Short Lived")).find("CustomerRet")
    list_id = gone.findtext("ListID")
    delete = f"<ListDelRq><ListDelType>Customer</ListDelType><ListID>{list_id}</ListID></ListDelRq>"
    assert code(one(emulator, company, delete)) == 0
    invoice = one(emulator, company, invoice_add("Okafor, Dan", ref="DEL-1")).find("InvoiceRet")
    txn = invoice.findtext("TxnID")
    delete = f"<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>{txn}</TxnID></TxnDelRq>"
    assert code(one(emulator, company, delete)) == 0
    rs = one(
        emulator,
        company,
        "<ListDeletedQueryRq><ListDelType>Customer</ListDelType><ListDelType>Vendor</ListDelType>"
        "</ListDeletedQueryRq>",
    )
    assert [(r.findtext("ListID"), r.findtext("FullName")) for r in rs] == [
        (list_id, "Short Lived")
    ]
    rs = one(
        emulator, company, "<TxnDeletedQueryRq><TxnDelType>Invoice</TxnDelType></TxnDeletedQueryRq>"
    )
    assert [(r.findtext("TxnID"), r.findtext("RefNumber")) for r in rs] == [(txn, "DEL-1")]
    later = (
        "<TxnDeletedQueryRq><TxnDelType>Invoice</TxnDelType><DeletedDateRangeFilter>"
        "<FromDeletedDate>2037-01-01</FromDeletedDate></DeletedDateRangeFilter></TxnDeletedQueryRq>"
    )
    assert code(one(emulator, company, later)) == 1


def test_an_item_mod_changes_its_price(emulator: Emulator, company: Company) -> None:
    item = company.by_full_name("Item", "Labor")
    assert item is not None
    mod = (
        f"<ItemServiceModRq><ItemServiceMod><ListID>{item.id}</ListID><EditSequence>"
        f"{item.edit_sequence}</EditSequence><SalesOrPurchaseMod><Price>105.00</Price>"
        "</SalesOrPurchaseMod></ItemServiceMod></ItemServiceModRq>"
    )
    changed = one(emulator, company, mod).find("ItemServiceRet")
    assert changed.findtext("SalesOrPurchase/Price") == "105.00"
    assert changed.findtext("SalesOrPurchase/Desc") == "Labor, per hour"  # kept
    invoice = one(emulator, company, invoice_add("Okafor, Dan", qty="1"))
    assert invoice.findtext("InvoiceRet/Subtotal") == "105.00"


def test_auto_apply_pays_the_oldest_invoices_first(emulator: Emulator, company: Company) -> None:
    older = one(emulator, company, invoice_add("Alvarez, Maria", ref="OLD", date="2026-11-01"))
    newer = one(emulator, company, invoice_add("Alvarez, Maria", ref="NEW", date="2026-11-15"))
    pay = (
        "<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Alvarez, Maria</FullName>"
        "</CustomerRef><TotalAmount>250.00</TotalAmount><IsAutoApply>true</IsAutoApply>"
        "</ReceivePaymentAdd></ReceivePaymentAddRq>"
    )
    applied = one(emulator, company, pay).findall("ReceivePaymentRet/AppliedToTxnRet")
    assert [(a.findtext("TxnID"), a.findtext("Amount")) for a in applied] == [
        (older.findtext("InvoiceRet/TxnID"), "190.00"),
        (newer.findtext("InvoiceRet/TxnID"), "60.00"),
    ]


def test_group_lines_name_items_that_do_not_exist(emulator: Emulator, company: Company) -> None:
    add = invoice_add("Okafor, Dan").replace(
        "</InvoiceAdd>",
        "<InvoiceLineGroupAdd><ItemGroupRef><FullName>Bathroom Kit</FullName></ItemGroupRef>"
        "</InvoiceLineGroupAdd></InvoiceAdd>",
    )
    rs = one(emulator, company, add)
    assert code(rs) == 3140 and 'ItemGroup "Bathroom Kit"' in rs.get("statusMessage")


def test_merging_a_customer_moves_its_jobs_and_transactions(
    emulator: Emulator, company: Company
) -> None:
    source = one(emulator, company, customer_add("Dupe Homes")).find("CustomerRet")
    one(emulator, company, customer_add("Porch", parent="Dupe Homes"))
    invoice = one(emulator, company, invoice_add("Dupe Homes", ref="M-1")).find("InvoiceRet")
    target = company.by_full_name("Customer", "Okafor, Dan")
    assert target is not None
    merge = (
        "<ListMergeRq><ListMergeType>Customer</ListMergeType><MergeFrom><ListID>{}</ListID>"
        "<EditSequence>{}</EditSequence></MergeFrom><MergeTo><ListID>{}</ListID><EditSequence>{}"
        "</EditSequence></MergeTo></ListMergeRq>"
    )
    stale = merge.format(source.findtext("ListID"), "1", target.id, target.edit_sequence)
    assert code(one(emulator, company, stale)) == 3200
    rs = one(
        emulator,
        company,
        merge.format(
            source.findtext("ListID"),
            source.findtext("EditSequence"),
            target.id,
            target.edit_sequence,
        ),
    )
    assert code(rs) == 0 and rs.findtext("MergedFrom/FullName") == "Dupe Homes"
    assert rs.findtext("MergedTo/FullName") == "Okafor, Dan"
    moved = one(
        emulator,
        company,
        f"<InvoiceQueryRq><TxnID>{invoice.findtext('TxnID')}</TxnID></InvoiceQueryRq>",
    )
    assert moved.findtext("InvoiceRet/CustomerRef/FullName") == "Okafor, Dan"
    assert (
        code(
            one(
                emulator,
                company,
                "<CustomerQueryRq><FullName>Okafor, Dan:Porch</FullName></CustomerQueryRq>",
            )
        )
        == 0
    )
    deleted = one(
        emulator,
        company,
        "<ListDeletedQueryRq><ListDelType>Customer</ListDelType></ListDeletedQueryRq>",
    )
    assert [r.findtext("FullName") for r in deleted] == ["Dupe Homes"]
