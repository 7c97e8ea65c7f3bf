"""The Web Connector: the SOAP envelopes it sends (`soap`) and its sessions and schedule
(`simulator`)."""
