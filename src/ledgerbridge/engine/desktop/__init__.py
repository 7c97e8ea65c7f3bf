"""QuickBooks Desktop: the Web Connector service's sessions (`webconnector`) and the work they
carry out behind the `engine.ports.DesktopWork` port: the engine's passes (`passes`, their
QuickBooks calls queued for the sessions by `exchange`), or the session-start look-ups
(`lookups`)."""
