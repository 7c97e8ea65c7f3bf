"""The Web Connector's envelope, .qwc file and qbXML reading, without a server."""

from __future__ import annotations

import pytest
from lxml import etree

from ledgerbridge.adapters.qbwc import qbxml, qwc, soap


def test_an_array_answer_is_strings_in_the_service_namespace() -> None:
    root = etree.fromstring(soap.answer("authenticate", ["t-1", ""]))
    result = root.find(f".//{{{soap.NS}}}authenticateResult")
    assert result is not None
    assert [(el.tag, el.text or "") for el in result] == [
        (f"{{{soap.NS}}}string", "t-1"),
        (f"{{{soap.NS}}}string", ""),
    ]


def test_qbxml_travels_escaped_and_comes_back_whole() -> None:
    text = '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML>&amp;</QBXML>'
    root = etree.fromstring(soap.answer("sendRequestXML", text))
    assert root.findtext(f".//{{{soap.NS}}}sendRequestXMLResult") == text
    call = soap.parse(
        soap.answer("sendRequestXML", text)
        .replace(b"sendRequestXMLResponse", b"receiveResponseXML")
        .replace(b"sendRequestXMLResult", b"response")
        .replace(b"<response>", b"<ticket>t</ticket><response>")
    )
    assert call.method == "receiveResponseXML"
    assert call.params == {"ticket": "t", "response": text, "hresult": "", "message": ""}


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://example.invalid/x.dtd"><x/>',
        b'<?xml version="1.0"?><!DOCTYPE x [<!ELEMENT x ANY>]><x/>',
    ],
)
def test_a_doctype_is_refused_even_without_entities(body: bytes) -> None:
    with pytest.raises(soap.Fault):
        soap.parse(body)


def test_the_qwc_file_has_every_required_element() -> None:
    text = qwc.render(
        qwc.QwcFile("ledgerbridge A&B", "https://h/qbwc", "https://h/dashboard", "u", "{O}", "{F}")
    )
    root = etree.fromstring(text)
    assert root.tag == "QBWCXML"
    for tag in ("AppName", "AppID", "AppURL", "AppDescription", "AppSupport", "UserName"):
        assert root.find(tag) is not None
    assert root.findtext("AppName") == "ledgerbridge A&B"
    assert (root.findtext("OwnerID"), root.findtext("FileID")) == ("{O}", "{F}")
    assert root.findtext("Scheduler/RunEveryNMinutes") == "15"
    assert root.findtext("IsReadOnly") == "false"


def test_the_version_asked_for_is_at_most_13() -> None:
    assert qbxml.version_for("16", "0") == "13.0"
    assert qbxml.version_for("8", "0") == "8.0"
    assert qbxml.version_for("x", "0") == "13.0"


def test_an_unreadable_answer_is_a_value_not_an_lxml_error() -> None:
    for text in ("not xml", '<!DOCTYPE x [<!ENTITY a "b">]><QBXML/>', "<Other/>", "<QBXML/>"):
        with pytest.raises(qbxml.Unreadable):
            qbxml.read(text)
