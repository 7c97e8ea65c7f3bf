"""A local, stateful QuickBooks Desktop emulator: a company file answering qbXML, and a Web
Connector that polls a SOAP service on its schedule as Intuit's does.

It imports nothing from `ledgerbridge`. Start it with `qbd-emulator serve`, or in-process with
`qbd_emulator.server.EmulatorServer`. docs/emulator-desktop.md describes what is emulated.
"""

__all__: list[str] = []
