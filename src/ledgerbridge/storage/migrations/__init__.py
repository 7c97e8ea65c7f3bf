"""Alembic migrations of the ledgerbridge schema, shipped with the package.

Run them with `ledgerbridge.storage.db.Database.migrate()`; no alembic.ini is involved.
`env.py` runs on the connection `ledgerbridge.storage.db.alembic_config` hands it.
"""
