"""SQLite SQL written from a parsed COS Select query (`select_sql`).

Columns are ``c0, c1, ...`` of one in-memory table ``t`` (named by the engine), string
literals are re-quoted, numbers re-printed, and the only functions named are those of
:data:`ENGINE_FUNCTIONS`, which the engine's authorizer also enforces.
"""

from __future__ import annotations

from typing import Any

from .select_sql import AGGREGATES, SCALARS, Column, Query

CAST_FUNCTION = "cos_cast"  # registered by the engine: COS's CAST, raising CastFailed
# Every function the SQL written here may call (the engine's authorizer allows no other).
ENGINE_FUNCTIONS = frozenset({*(a.lower() for a in AGGREGATES), *SCALARS.values(), CAST_FUNCTION, "like"})


def quote_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def to_sqlite(query: Query, column_sql: dict[Column, str], star_sql: str, before_row: int | None = None) -> str:
    """The SQLite statement of ``query``; ``column_sql`` names each referenced column's SQL
    (``c3`` or ``NULL``), ``star_sql`` what ``SELECT *`` reads; ``before_row`` keeps only the
    records before that rowid (the records a failed CAST let through)."""

    def emit(node: Any) -> str:
        if isinstance(node, Column):
            return column_sql[node]
        kind = node[0]
        if kind == "lit":
            return quote_literal(node[1])
        if kind in ("and", "or"):
            return f"({emit(node[1])} {kind.upper()} {emit(node[2])})"
        if kind == "not":
            return f"(NOT {emit(node[1])})"
        if kind == "neg":
            return f"(- {emit(node[1])})"
        if kind in ("cmp", "bin"):
            return f"({emit(node[2])} {node[1]} {emit(node[3])})"
        if kind == "isnull":
            return f"({emit(node[1])} IS {'NOT ' if node[2] else ''}NULL)"
        if kind == "like":
            escape = f" ESCAPE {quote_literal(node[3])}" if node[3] is not None else ""
            return f"({emit(node[1])} {'NOT ' if node[4] else ''}LIKE {emit(node[2])}{escape})"
        if kind == "between":
            return f"({emit(node[1])} {'NOT ' if node[4] else ''}BETWEEN {emit(node[2])} AND {emit(node[3])})"
        if kind == "in":
            items = ", ".join(emit(item) for item in node[2])
            return f"({emit(node[1])} {'NOT ' if node[3] else ''}IN ({items}))"
        if kind == "cast":
            return f"{CAST_FUNCTION}({emit(node[1])}, {quote_literal(node[2])}, rowid)"  # rowid: where it failed
        if kind == "agg":
            return f"{node[1]}({'*' if node[2] is None else emit(node[2])})"
        if kind == "fn":
            return f"{node[1]}({', '.join(emit(arg) for arg in node[2])})"
        raise AssertionError(f"unknown node {kind}")

    select = star_sql if query.star else ", ".join(emit(expr) for expr, _ in query.items)
    sql = f"SELECT {select} FROM t"
    conditions = [emit(query.where)] if query.where is not None else []
    if before_row is not None:
        conditions.insert(0, f"rowid < {int(before_row)}")
    if conditions:
        sql += " WHERE " + " AND ".join(conditions)
    if query.limit is not None:
        sql += f" LIMIT {int(query.limit)}"
    return sql
