"""Event-source plug-ins: one module per source, each registering into
`mamori.rules.source.sources`."""
