"""QuickBooks Desktop through Intuit's Web Connector: the SOAP envelope (`soap`), the static
WSDL (`qbwc.wsdl`), the .qwc file (`qwc`) and the qbXML the Web Connector relays (`qbxml`)."""
