"""The emulator's whole state: company files and Web Connectors. The HTTP layer
(`qbd_emulator.http`) and tests both work through an `Emulator`.

All company data is guarded by one lock; a Web Connector session holds it only while its company
file answers one qbXML document, never while it waits on the SOAP service.
"""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime

from qbd_emulator import presets, processor
from qbd_emulator.model import Company
from qbd_emulator.statuses import ProcessorError
from qbd_emulator.webconnector.simulator import WebConnector

COMPANY_DIR = "C:\\Users\\Public\\Documents\\Intuit\\QuickBooks\\Company Files\\"


class UnknownCompany(KeyError):
    pass


class Emulator:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.companies: dict[str, Company] = {}
        self.connectors: dict[str, WebConnector] = {}
        self._direct: dict[str, processor.Session] = {}

    def company(self, company_id: str) -> Company:
        try:
            return self.companies[company_id]
        except KeyError:
            raise UnknownCompany(company_id) from None

    def create_company(
        self,
        name: str,
        *,
        preset: str = "blank",
        file_path: str | None = None,
        qbxml_version: str = "13.0",
        company_id: str | None = None,
    ) -> Company:
        with self.lock:
            if company_id is None:
                company_id = "qbd-" + secrets.token_hex(4)
            elif company_id in self.companies:
                raise ValueError(f"a company with id {company_id} already exists")
            path = file_path or f"{COMPANY_DIR}{_file_name(name)}.qbw"
            company = Company(
                company_id, name, path, datetime.now(UTC), qbxml_version=qbxml_version
            )
            presets.apply(company, preset)
            self.companies[company_id] = company
            return company

    def process(self, company: Company, session: processor.Session, text: str | bytes) -> str:
        """One qbXML document answered by a company file (raises `ProcessorError`)."""
        with self.lock:
            return processor.process(company, session, text)

    def process_direct(
        self, company: Company, text: str | bytes
    ) -> tuple[str, ProcessorError | None]:
        """The admin API's qbXML endpoint: one long session per company (its iterators last)."""
        session = self._direct.setdefault(company.id, processor.Session(f"direct-{company.id}"))
        try:
            return self.process(company, session, text), None
        except ProcessorError as exc:
            return "", exc

    def end_session(self, session: processor.Session) -> None:
        with self.lock:
            for company in self.companies.values():
                for key in [k for k, v in company.iterators.items() if v.session == session.id]:
                    del company.iterators[key]

    def add_connector(self, connector: WebConnector) -> WebConnector:
        with self.lock:
            self.connectors[connector.id] = connector
            return connector

    def reset(self) -> None:
        with self.lock:
            for connector in self.connectors.values():
                connector.stop()
            self.connectors.clear()
            self.companies.clear()
            self._direct.clear()


def _file_name(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in " -_" else "_" for ch in name).strip() or "Company"
