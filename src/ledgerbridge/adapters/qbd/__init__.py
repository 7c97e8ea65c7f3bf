"""QuickBooks Desktop behind the engine's `QuickBooks` protocol, through the Web Connector.

- `client.QbdClient`: the protocol's calls as qbXML requests, carried by an `Exchange`;
- `shapes`: QuickBooks Online's JSON shapes <-> Desktop's qbXML objects;
- `schema`: the elements written, in schema order, with Desktop's field limits;
- `requests`: the documents and queries, and reading an answer;
- `errors`: Desktop's status codes -> the error tree of `adapters.qbo.errors`.
"""

from ledgerbridge.adapters.qbd.client import AnswerLost, Exchange, QbdClient, external_guid

__all__ = ["AnswerLost", "Exchange", "QbdClient", "external_guid"]
