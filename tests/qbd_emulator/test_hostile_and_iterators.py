"""Hostile or malformed qbXML is refused whole with QuickBooks' parse error (never a crash), and
iterators page through a query."""

from __future__ import annotations

import pytest

from qbd_emulator.emulator import Emulator
from qbd_emulator.model import Company
from tests.qbd_emulator.helpers import code, customer_add, message, one, send

LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY '
    'lol2 "&lol;&lol;&lol;&lol;">]>'
    '<?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerAddRq><CustomerAdd>'
    "<Name>&lol2;</Name></CustomerAdd></CustomerAddRq></QBXMLMsgsRq></QBXML>"
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
    ']><?qbxml version="13.0"?>'
    '<QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerAddRq><CustomerAdd><Name>&xxe;</Name>'
    "</CustomerAdd></CustomerAddRq></QBXMLMsgsRq></QBXML>"
)


@pytest.mark.parametrize(
    "text",
    [
        LAUGHS,
        XXE,
        "",
        "not xml at all",
        "<QBXML><QBXMLMsgsRq onError='stopOnError'/></QBXML>",  # no <?qbxml?>
        message("<CustomerAddRq><CustomerAdd><Name>X</Name>"),  # not well formed
        message(customer_add("X"), on_error="rollbackOnError"),
        message(
            "<CustomerAddRq><CustomerAdd><CompanyName>C</CompanyName><Name>"
            "X</Name></CustomerAdd></CustomerAddRq>"
        ),
        message(
            "<CustomerAddRq><CustomerAdd><Name>X</Name><Bogus>1</Bogus></CustomerAdd>"
            "</CustomerAddRq>"
        ),
        message(
            "<CustomerAddRq><CustomerAdd><CompanyName>no name</CompanyName>"
            "</CustomerAdd></CustomerAddRq>"
        ),
        message("<NoSuchThingRq />"),
        message("<AccountQueryRq iterator='Start' />"),  # Account queries take no iterator
        message(customer_add("X")) + "<trailing/>",
        "\x00\x01\x02",
    ],
)
def test_unreadable_messages_get_the_parse_error_and_change_nothing(
    emulator: Emulator, company: Company, text: str
) -> None:
    before = company.counts()
    answer, error = emulator.process_direct(company, text)
    assert answer == "" and error is not None
    assert error.hresult == "0x80040400"
    assert company.counts() == before


def test_a_newer_qbxml_version_than_the_file_takes(emulator: Emulator, company: Company) -> None:
    _, error = emulator.process_direct(company, message(customer_add("X"), version="16.0"))
    assert error is not None and error.hresult == "0x80040428"


def test_bad_values_are_statuses_not_crashes(emulator: Emulator, company: Company) -> None:
    bad_date = (
        "<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Okafor, Dan<"
        "/FullName></CustomerRef><TxnDate>2026-02-30</TxnDate></InvoiceAdd>"
        "</InvoiceAddRq>"
    )
    assert code(one(emulator, company, bad_date)) == 3020
    long_id = "r" * 51
    rs = one(emulator, company, f'<CustomerQueryRq requestID="{long_id}" />')
    assert code(rs) == 1060 and rs.get("requestID") == long_id


def test_an_iterator_pages_through_a_query(emulator: Emulator, company: Company) -> None:
    send(emulator, company, *(customer_add(f"Iter {i:02}", rid=str(i)) for i in range(7)))
    start = one(
        emulator,
        company,
        (
            '<CustomerQueryRq iterator="Start"><MaxReturned>3</MaxReturned>'
            "<NameFilter><MatchCriterion>StartsWith</MatchCriterion><Name>"
            "Iter</Name></NameFilter></CustomerQueryRq>"
        ),
    )
    iterator = start.get("iteratorID")
    assert start.get("iteratorRemainingCount") == "4"
    names = [r.findtext("Name") for r in start.findall("CustomerRet")]
    while start.get("iteratorRemainingCount") != "0":
        start = one(
            emulator,
            company,
            (
                f'<CustomerQueryRq iterator="Continue" iteratorID="{iterator}">'
                "<MaxReturned>3</MaxReturned></CustomerQueryRq>"
            ),
        )
        names += [r.findtext("Name") for r in start.findall("CustomerRet")]
    assert names == [f"Iter {i:02}" for i in range(7)]
    gone = one(
        emulator,
        company,
        (
            f'<CustomerQueryRq iterator="Continue" iteratorID="{iterator}">'
            "<MaxReturned>3</MaxReturned></CustomerQueryRq>"
        ),
    )
    assert code(gone) == 3000


def test_an_iterator_does_not_outlive_its_session(emulator: Emulator, company: Company) -> None:
    from qbd_emulator.processor import Session

    session = Session("wc-1")
    answer = emulator.process(
        company,
        session,
        message('<CustomerQueryRq iterator="Start"><MaxReturned>1</MaxReturned></CustomerQueryRq>'),
    )
    iterator = answer.split('iteratorID="')[1].split('"')[0]
    emulator.end_session(session)
    other = Session("wc-2")
    answer = emulator.process(
        company,
        other,
        message(
            f'<CustomerQueryRq iterator="Continue" iteratorID="{iterator}">'
            "<MaxReturned>1</MaxReturned></CustomerQueryRq>"
        ),
    )
    assert 'statusCode="3000"' in answer


def test_mutated_messages_never_crash(emulator: Emulator, company: Company) -> None:
    """Every byte-level mutation of valid messages gets an answer or the parse error: nothing
    else escapes (a seeded random walk, the same each run; 40,000 more steps passed once)."""
    import random

    from qbd_emulator.processor import Session
    from qbd_emulator.statuses import ProcessorError

    seeds = [
        message(customer_add("Fuzz", parent="Okafor, Dan")),
        message(
            '<InvoiceQueryRq iterator="Start"><MaxReturned>2</MaxReturned>'
            "<ModifiedDateRangeFilter><FromModifiedDate>2026-01-01</FromModifiedDate>"
            "</ModifiedDateRangeFilter><IncludeLineItems>true</IncludeLineItems></InvoiceQueryRq>"
        ),
        message(
            "<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Okafor, Dan</FullName></CustomerRef>"
            "<TxnDate>2026-11-02</TxnDate><InvoiceLineAdd><ItemRef><FullName>Labor</FullName>"
            "</ItemRef><Quantity>2</Quantity><Rate>10.5</Rate></InvoiceLineAdd></InvoiceAdd>"
            "</InvoiceAddRq>"
        ),
        message(
            "<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Okafor, Dan</FullName>"
            "</CustomerRef><TotalAmount>10.00</TotalAmount><AppliedToTxnAdd><TxnID>1-1</TxnID>"
            "<PaymentAmount>10.00</PaymentAmount></AppliedToTxnAdd></ReceivePaymentAdd>"
            "</ReceivePaymentAddRq>"
            "<ItemQueryRq><NameFilter><MatchCriterion>Contains</MatchCriterion><Name>a</Name>"
            "</NameFilter></ItemQueryRq>"
            "<InvoiceModRq><InvoiceMod><TxnID>1-1</TxnID><EditSequence>1</EditSequence>"
            "<InvoiceLineMod><TxnLineID>-1</TxnLineID><Amount>5</Amount></InvoiceLineMod>"
            "</InvoiceMod></InvoiceModRq>",
            on_error="continueOnError",
        ),
    ]
    alphabet = '<>/"=&;:[]!?-x0 \x00\xff'
    rng = random.Random(18)
    session = Session("fuzz")
    for _ in range(1000):
        text = list(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(text))
            action = rng.random()
            if action < 0.4:
                text[at] = rng.choice(alphabet)
            elif action < 0.7:
                del text[at]
            else:
                text.insert(at, rng.choice(alphabet))
        try:
            emulator.process(company, session, "".join(text))
        except ProcessorError as exc:
            assert exc.hresult in ("0x80040400", "0x80040428")
    assert not [note for note in session.log if note.startswith("internal error")]


def test_structurally_mutated_messages_never_hit_a_bug(
    emulator: Emulator, company: Company
) -> None:
    """Whole elements dropped, doubled or given odd text: a status or the parse error, never
    the emulator's internal error (seeded; 24,000 more steps passed once)."""
    import copy
    import random

    from lxml import etree

    from qbd_emulator.processor import Session
    from qbd_emulator.statuses import ProcessorError

    customer = company.by_full_name("Customer", "Okafor, Dan")
    assert customer is not None
    seeds = [
        customer_add("A", parent="Okafor, Dan"),
        "<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Okafor, Dan</FullName></CustomerRef>"
        "<InvoiceLineAdd><ItemRef><FullName>Labor</FullName></ItemRef><Quantity>2</Quantity>"
        "</InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>",
        "<ListMergeRq><ListMergeType>Customer</ListMergeType><MergeFrom>"
        f"<ListID>{customer.id}</ListID><EditSequence>{customer.edit_sequence}</EditSequence>"
        "</MergeFrom><MergeTo><ListID>80000001-1</ListID><EditSequence>1</EditSequence></MergeTo>"
        "</ListMergeRq>",
        "<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Okafor, Dan</FullName>"
        "</CustomerRef><TotalAmount>10.00</TotalAmount><IsAutoApply>true</IsAutoApply>"
        "</ReceivePaymentAdd></ReceivePaymentAddRq>",
        "<BillAddRq><BillAdd><VendorRef><FullName>Summit Lumber</FullName></VendorRef>"
        "<ExpenseLineAdd><AccountRef><FullName>Fuel</FullName></AccountRef><Amount>5</Amount>"
        "</ExpenseLineAdd><ItemLineAdd><ItemRef><FullName>Labor</FullName></ItemRef></ItemLineAdd>"
        "</BillAdd></BillAddRq>",
        '<CustomerQueryRq iterator="Start"><MaxReturned>1</MaxReturned><NameFilter>'
        "<MatchCriterion>Contains</MatchCriterion><Name>a</Name></NameFilter></CustomerQueryRq>",
        "<TxnDeletedQueryRq><TxnDelType>Invoice</TxnDelType><DeletedDateRangeFilter>"
        "<FromDeletedDate>2020-01-01</FromDeletedDate></DeletedDateRangeFilter>"
        "</TxnDeletedQueryRq>",
    ]
    texts = ["", "-1", "0", "x" * 50, "2026-02-30", "true", "9" * 20, "80000001-1"]
    rng = random.Random(7)
    session = Session("fuzz")
    for _ in range(400):
        chosen = rng.sample(seeds, k=rng.randint(1, 3))
        root = etree.fromstring(message(*chosen, on_error="continueOnError").split("?>", 2)[2])
        for _ in range(rng.randint(1, 3)):
            elements = [e for e in root.iter() if e.tag not in ("QBXML", "QBXMLMsgsRq")]
            if not elements:
                break
            element = rng.choice(elements)
            parent = element.getparent()
            assert parent is not None
            action = rng.random()
            if action < 0.4:
                parent.remove(element)
            elif action < 0.7:
                parent.insert(parent.index(element), copy.deepcopy(element))
            elif len(element) == 0:
                element.text = rng.choice(texts)
        text = '<?xml version="1.0"?><?qbxml version="13.0"?>' + etree.tostring(
            root, encoding="unicode"
        )
        try:
            emulator.process(company, session, text)
        except ProcessorError as exc:
            assert exc.hresult == "0x80040400"
    assert not [note for note in session.log if note.startswith("internal error")]
