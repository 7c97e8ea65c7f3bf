"""An `adapters.qbd.Exchange` straight into a Desktop emulator company file, without the Web
Connector: for the adapter's own tests. Answers are kept by key as the service's queue keeps
them; `lose_next` makes the next write's answer lost after QuickBooks applied it."""

from __future__ import annotations

from ledgerbridge.adapters.qbd import AnswerLost
from ledgerbridge.adapters.qbo import Unavailable
from qbd_emulator.emulator import Emulator
from qbd_emulator.model import Company


class DirectExchange:
    qbxml_version = "13.0"

    def __init__(self, emulator: Emulator, company: Company) -> None:
        self.emulator = emulator
        self.company = company
        self.answers: dict[str, str | None] = {}
        self.sent: list[str] = []
        self.lose_next = 0

    def exchange(self, key: str, document: str) -> str:
        if key in self.answers:
            kept = self.answers[key]
            if kept is None:
                raise AnswerLost(key)
            return kept
        self.sent.append(document)
        answer, error = self.emulator.process_direct(self.company, document)
        if error is not None:
            raise AssertionError(f"the company file refused the document: {error}: {document}")
        if self.lose_next and "QueryRq" not in document:
            self.lose_next -= 1
            self.answers[key] = None
            raise Unavailable("the answer was lost", ambiguous=True)
        self.answers[key] = answer
        return answer

    def forget(self, key: str) -> None:
        self.answers.pop(key, None)
