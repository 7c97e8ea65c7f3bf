"""A local, stateful QuickBooks Online Accounting API emulator.

Real clients (python-quickbooks, intuit-oauth) work against it unchanged apart from the base URL.
It imports nothing from `ledgerbridge`. Start it with `qbo-emulator serve`, or in-process with
`qbo_emulator.server.EmulatorServer`.
"""

__all__: list[str] = []
