"""The QuickBooks Online query language: `parse` a query string, `execute` it over a source.

query = parse("SELECT * FROM Customer WHERE DisplayName LIKE 'Bob%' MAXRESULTS 10")
result = execute(query, source, today)
"""

from qbo_emulator.query.execute import (
    QueryResult,
    QuerySource,
    execute,
    require_entity,
    resolve_entity,
)
from qbo_emulator.query.parser import (
    CURRENT_DATE,
    DEFAULT_MAX_RESULTS,
    MAX_RESULTS_LIMIT,
    Condition,
    CurrentDate,
    Literal,
    OrderTerm,
    Query,
    parse,
)

__all__ = [
    "CURRENT_DATE",
    "DEFAULT_MAX_RESULTS",
    "MAX_RESULTS_LIMIT",
    "Condition",
    "CurrentDate",
    "Literal",
    "OrderTerm",
    "Query",
    "QueryResult",
    "QuerySource",
    "execute",
    "parse",
    "require_entity",
    "resolve_entity",
]
