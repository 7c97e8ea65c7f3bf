"""Storage: the schema (`tables`), the database (`db`), the migrations, and the repositories.

The repositories are concrete classes, one module per group of tables (`records`,
`sync_states`, `links`, `mirror`, ...; `scans` reads a whole company at once, `attention` what
the dashboard shows as needing a person). Each works inside a `Session` it is given (the caller
owns the unit of work) and returns frozen values, never ORM rows. They hold no business rules:
what a status means, when a record is due or how settings merge is decided above them. Time
comes from an injected clock (`tables.Clock`).

They read columns and write with INSERT/UPDATE statements, never through ORM objects: the ORM
would skip writing a JSON document equal in Python to the old one (`{"q": 1}` == `{"q": True}`)
and would serve objects from its identity map instead of what the database holds.

See docs/architecture.md.
"""
