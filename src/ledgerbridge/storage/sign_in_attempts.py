"""Failed dashboard sign-ins, counted in the database so that every server process agrees:
the `core.sign_in` tallies of an account, a client address and the address's share of the
account, carried out.

    with db.session() as session:
        verdict = SignInAttempts(session).begin("office@example.com", "203.0.113.7")
    # Go: check the password (outside the transaction); then, when it was right:
    with db.session() as session:
        SignInAttempts(session).succeeded("office@example.com", "203.0.113.7")

`begin` decides and counts in one transaction that holds the three rows (`SELECT ... FOR
UPDATE` on PostgreSQL; SQLite's write transactions take turns), so a burst of attempts from
many processes lets exactly as many through as the policy allows. An attempt let through is
counted as a failure at once, before the password is checked: one that proves right gives it
back with `succeeded`, one that never comes back (a crash) stays counted. Nothing is written
for an attempt refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Delete, Select, Update, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ledgerbridge.core import sign_in
from ledgerbridge.storage import tables
from ledgerbridge.storage._sql import prepared, run, table
from ledgerbridge.storage.tables import Clock, utcnow
from ledgerbridge.storage.users import normalize_email

__all__ = ["SignInAttempts"]

_NO_SYNC = {"synchronize_session": False}


def _subject(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _account(email: str) -> str:
    return _subject("account", normalize_email(email))


def _subjects(email: str, address: str) -> tuple[str, str, str]:
    """The account, the client (`core.sign_in.client_of`) and the client's share of the
    account, as the rows' keys."""
    client = sign_in.client_of(address)
    return (
        _account(email),
        _subject("address", client),
        _subject("share", normalize_email(email), client),
    )


class SignInAttempts:
    def __init__(
        self, session: Session, *, clock: Clock = utcnow, policy: sign_in.Policy | None = None
    ) -> None:
        self._session = session
        self._clock = clock
        self.policy = policy or sign_in.Policy()

    def refusal(self, email: str, address: str) -> sign_in.Wait | sign_in.Locked | None:
        """The verdict when the attempt must wait or is locked, read without writing or holding
        anything (None: it may go, which `begin` decides again under its locks). A throttled
        attempt then costs one read: no row, no write lock, however many are sent."""
        account, by_address, share = _subjects(email, address)
        found = self._tallies([account, by_address, share])
        empty = sign_in.Tally()
        verdict = sign_in.judge(
            self.policy,
            found.get(account, empty),
            found.get(by_address, empty),
            self._clock(),
            found.get(share, empty),
        )
        return None if isinstance(verdict, sign_in.Go) else verdict

    def begin(self, email: str, address: str) -> sign_in.Verdict:
        """Whether an attempt on `email` from `address` may be checked now; when it may, it is
        counted as a failed one until `succeeded` says otherwise."""
        now = self._clock()
        account, by_address, share = _subjects(email, address)
        tallies = self._held(
            {account: ("account", None), by_address: ("address", None), share: ("share", account)}
        )
        verdict = sign_in.judge(
            self.policy, tallies[account], tallies[by_address], now, tallies[share]
        )
        if isinstance(verdict, sign_in.Go):
            counted = sign_in.after_failure(
                self.policy, tallies[account], tallies[by_address], tallies[share], now
            )
            for subject, tally in zip((account, by_address, share), counted, strict=True):
                self._write(subject, tally)
        return verdict

    def succeeded(self, email: str, address: str) -> None:
        """The attempt `begin` let through had the right password: the account's count and
        its shares are cleared, and the address gets back the failure it was charged."""
        account = _account(email)
        t = tables.SignInTally
        self._session.execute(
            delete(t).where((t.subject == account) | (t.account == account)),
            execution_options=_NO_SYNC,
        )
        subject = _subject("address", sign_in.client_of(address))
        found = self._tallies([subject]).get(subject)
        if found is not None:
            self._write(subject, sign_in.after_success(found))

    def unlock(self, email: str) -> bool:
        """Lift the account's lock and forget its failures; False when none were counted."""
        account = _account(email)
        t = tables.SignInTally
        result = self._session.execute(
            delete(t).where((t.subject == account) | (t.account == account)).returning(t.kind),
            execution_options=_NO_SYNC,
        )
        return "account" in result.scalars().all()

    def locked(self, emails: Iterable[str]) -> dict[str, datetime]:
        """Which of `emails` are locked, since when."""
        by_subject = {_account(email): email for email in emails}
        t = tables.SignInTally
        rows = self._session.execute(
            select(t.subject, t.locked_at).where(
                t.subject.in_(list(by_subject)), t.locked_at.is_not(None)
            )
        )
        return {by_subject[row.subject]: row.locked_at for row in rows if row.locked_at}

    def forget_stale(self) -> int:
        """Delete the tallies `core.sign_in` would forget (never a lock), skipping rows another
        attempt holds; how many went."""
        cutoff = self._clock() - self.policy.forget_after
        result = run(self._session, prepared("sign_in.forget_stale", _stale), {"s_cutoff": cutoff})
        return int(getattr(result, "rowcount", 0) or 0)

    # --- rows ----------------------------------------------------------------------------------

    def _held(self, subjects: dict[str, tuple[str, str | None]]) -> dict[str, sign_in.Tally]:
        """The subjects' tallies, their rows made if need be and held for this transaction
        (in one order, so two attempts never wait for each other in a ring)."""
        rows = [
            {"subject": subject, "kind": kind, "account": account, "failures": 0}
            for subject, (kind, account) in sorted(subjects.items())
        ]
        dialect = self._session.get_bind().dialect.name
        run(self._session, prepared(("sign_in.make", dialect), _maker(dialect)), rows)
        return self._tallies(sorted(subjects), hold=True)

    def _tallies(self, subjects: Sequence[str], *, hold: bool = False) -> dict[str, sign_in.Tally]:
        statement = prepared(("sign_in.tallies", hold), lambda: _tallies(hold=hold))
        return {
            row.subject: sign_in.Tally(row.failures, row.last_failed_at, row.locked_at)
            for row in run(self._session, statement, {"s_subjects": list(subjects)})
        }

    def _write(self, subject: str, tally: sign_in.Tally) -> None:
        params = {
            "s_subject": subject,
            "s_failures": tally.failures,
            "s_failed": tally.last_failed_at,
            "s_locked": tally.locked_at,
        }
        run(self._session, prepared("sign_in.write", _write), params)


# Every attempt reads, and every one let through writes, these: built once (`_sql.prepared`).


def _tallies(*, hold: bool) -> Select[Any]:
    """Some subjects' tallies (an expanding IN); `hold`: their rows locked, in one order."""
    t = table(tables.SignInTally)
    query = select(t.c.subject, t.c.failures, t.c.last_failed_at, t.c.locked_at).where(
        t.c.subject.in_(bindparam("s_subjects", expanding=True))
    )
    return query.order_by(t.c.subject).with_for_update() if hold else query


def _maker(dialect: str) -> Callable[[], Any]:
    """The rows of some subjects made, unless they exist (one executemany)."""

    def build() -> Any:
        t = table(tables.SignInTally)
        insert = postgresql.insert(t) if dialect == "postgresql" else sqlite.insert(t)
        return insert.on_conflict_do_nothing(index_elements=["subject"])

    return build


def _write() -> Update:
    t = table(tables.SignInTally)
    return (
        update(t)
        .where(t.c.subject == bindparam("s_subject"))
        .values(
            failures=bindparam("s_failures"),
            last_failed_at=bindparam("s_failed"),
            locked_at=bindparam("s_locked"),
        )
    )


def _stale() -> Delete:
    """The tallies forgotten: no lock, no failure since the cutoff, and no attempt holding them."""
    t = table(tables.SignInTally)
    stale = (
        select(t.c.subject)
        .where(
            t.c.locked_at.is_(None),
            # a row made for an attempt refused has no failure at all
            t.c.last_failed_at.is_(None) | (t.c.last_failed_at < bindparam("s_cutoff")),
        )
        .with_for_update(skip_locked=True)
    )
    return delete(t).where(t.c.subject.in_(stale))
