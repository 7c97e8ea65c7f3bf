"""QuickBooks Desktop: the Web Connector service's sessions (`webconnector`) and the work they
carry out (`lookups`, behind the `engine.ports.DesktopWork` port)."""
