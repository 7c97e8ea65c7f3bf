"""QuickBooks Online business rules, one module per family of entities.

Each `prepare_*` function takes the object a client wants stored (after merging a sparse update)
and returns it normalised, with computed fields filled, or raises a `QBOFault` naming the field.
Nothing here writes to the store: side effects on other records live in `rules.effects`.
"""
