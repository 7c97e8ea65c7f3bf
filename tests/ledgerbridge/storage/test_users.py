"""Dashboard users (`storage.users`) and the sync log's search (`Records.list(q=...)`), on
SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ledgerbridge.storage import tables
from ledgerbridge.storage.api_keys import ApiKeys
from ledgerbridge.storage.db import Database
from ledgerbridge.storage.links import Links
from ledgerbridge.storage.records import Records
from ledgerbridge.storage.users import (
    EmailTaken,
    UnknownKey,
    Users,
    decoy_hash,
    hash_password,
    verify_password,
)
from ledgerbridge.storage.web_connectors import WebConnectors

from .conftest import Owner, make_owner

PASSWORD = "correct horse battery staple"


def test_a_password_is_kept_only_as_a_salted_hash() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first != second  # a salt of its own each time
    assert first.startswith("scrypt$") and PASSWORD not in first
    assert verify_password(PASSWORD, first) and verify_password(PASSWORD, second)
    assert not verify_password(PASSWORD + "!", first)
    assert not verify_password(PASSWORD, "garbage")
    assert not verify_password(PASSWORD, "md5$1$2$3$abc$def")


def test_a_user_signs_in_with_the_email_in_any_case_and_the_right_password(
    db: Database, owner: Owner
) -> None:
    with db.session() as session:
        user = Users(session).create("  Office@Example.com ", owner.api_key_id, PASSWORD)
    assert user.email == "office@example.com" and user.id.startswith("usr_")
    with db.session(readonly=True) as session:
        users = Users(session)
        assert users.authenticate("OFFICE@example.com", PASSWORD) == user
        assert users.authenticate("office@example.com", "wrong") is None
        assert users.authenticate("nobody@example.com", PASSWORD) is None
        assert users.get(user.id) == user
        stored = session.scalars(select(tables.User.password_hash)).one()
    assert PASSWORD not in stored


def test_an_email_signs_in_one_user_and_a_user_needs_a_live_key(db: Database, owner: Owner) -> None:
    with db.session() as session:
        Users(session).create("office@example.com", owner.api_key_id, PASSWORD)
    with db.session() as session, pytest.raises(EmailTaken):
        Users(session).create("OFFICE@example.com", owner.api_key_id, PASSWORD)
    with db.session() as session, pytest.raises(UnknownKey):
        Users(session).create("new@example.com", "key_nope", PASSWORD)
    with db.session() as session:
        ApiKeys(session).revoke(owner.api_key_id)
    with db.session() as session, pytest.raises(UnknownKey):
        Users(session).create("new@example.com", owner.api_key_id, PASSWORD)
    with db.session(readonly=True) as session:  # revoking the key ends its users' sign-ins
        assert Users(session).authenticate("office@example.com", PASSWORD) is None
        assert Users(session).by_email("office@example.com") is None
    with db.session() as session, pytest.raises(EmailTaken):
        Users(session).create("office@example.com", make_owner(db, "b").api_key_id, PASSWORD)


def test_a_password_can_be_changed(db: Database, owner: Owner) -> None:
    with db.session() as session:
        user = Users(session).create("office@example.com", owner.api_key_id, PASSWORD)
    with db.session() as session:
        assert Users(session).set_password(user.id, "another long password")
    with db.session(readonly=True) as session:
        assert Users(session).authenticate(user.email, PASSWORD) is None
        assert Users(session).authenticate(user.email, "another long password") == user


def test_the_log_search_finds_ids_names_and_numbers(db: Database, owner: Owner) -> None:
    cid = owner.connection_id
    with db.session() as session:
        records = Records(session)
        records.upsert(cid, "customer", "c-1", {"display_name": "Ann Lee"})
        records.upsert(cid, "customer", "c-2", {"first_name": "Bo", "last_name": "Diaz"})
        records.upsert(cid, "invoice", "inv-1", {"number": "1001"})
        records.upsert(cid, "invoice", "inv-2", {"customer_id": "c-1"})
        records.upsert(cid, "customer", "100%_off", {"display_name": "Sale"})
        Links(session).put(
            cid,
            "invoice",
            "inv-2",
            entity="Invoice",
            qbo_id="9",
            sync_token="0",
            doc_number="QB-7731",
            pushed=None,
        )

    def found(q: str) -> list[str]:
        with db.session(readonly=True) as session:
            return sorted(r.app_id for r in Records(session).list(cid, q=q).items)

    assert found("ann") == ["c-1"]
    assert found("DIAZ") == ["c-2"]
    assert found("100") == ["100%_off", "inv-1"]
    assert found("7731") == ["inv-2"]  # the number QuickBooks gave it
    assert found("inv-") == ["inv-1", "inv-2"]
    assert found("%") == ["100%_off"]  # wildcards match themselves
    assert found("_") == ["100%_off"]
    assert found("   ") == ["100%_off", "c-1", "c-2", "inv-1", "inv-2"]
    with db.session(readonly=True) as session:
        typed = Records(session).list(cid, q="100", type="invoice").items
    assert [r.app_id for r in typed] == ["inv-1"]


def test_a_hash_made_at_a_lower_cost_is_made_again_at_the_configured_one(
    db: Database, owner: Owner
) -> None:
    """An operator raised the cost: each user's hash follows at their next sign-in (the only
    time the password is known); one at the configured cost is left as it is."""
    with db.session() as session:
        user = Users(session, scrypt_n=16).create("cheap@example.com", owner.api_key_id, PASSWORD)
    with db.session() as session:
        users = Users(session, scrypt_n=1024)
        assert users.strengthen(user.id, PASSWORD) is True
        assert users.strengthen(user.id, PASSWORD) is False  # at the configured cost now
        assert Users(session, scrypt_n=16).strengthen(user.id, PASSWORD) is False  # never down
        stored = session.scalars(
            select(tables.User.password_hash).where(tables.User.id == user.id)
        ).one()
    assert stored.startswith("scrypt$1024$")
    assert verify_password(PASSWORD, stored)
    with db.session(readonly=True) as session:
        assert Users(session, scrypt_n=1024).authenticate("cheap@example.com", PASSWORD) == user


def test_a_web_connector_password_is_hashed_at_the_configured_cost(
    db: Database, owner: Owner
) -> None:
    """The Web Connector's password follows `password_scrypt_n` as the dashboard's does, and an
    unknown user name is checked against a decoy of that same cost."""
    with db.session() as session:
        connectors = WebConnectors(session, scrypt_n=1024)
        connectors.ensure(owner.connection_id, "summit")
        connectors.set_password(owner.connection_id, PASSWORD)
    with db.session() as session:
        stored = session.scalar(select(tables.WebConnector.password_hash))
        connectors = WebConnectors(session, scrypt_n=1024)
        assert connectors.check("summit", PASSWORD) is not None
        assert connectors.check("summit", "wrong") is None
        assert connectors.check("nobody", PASSWORD) is None
    assert stored is not None and stored.startswith("scrypt$1024$")
    assert decoy_hash(1024).startswith("scrypt$1024$")
