"""ledgerbridge: keeps a business application's records in step with QuickBooks.

The engine arrives with the sync-engine issue; today the package only reserves the name.
"""

__all__: list[str] = []
