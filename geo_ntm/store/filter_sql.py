"""A property filter (``geo_ntm.filters``) on unit columns as a parameterised SQL condition on the
``units`` table, in each backend's flavour: values are always parameters, never written into the
text. The database plans it with the rest of the unit query (the place, the box, the page).

What differs between backends is a ``FilterDialect``: how ``LIKE`` keeps its case-sensitive CQL2
meaning (PostgreSQL ``LIKE ... ESCAPE``; SQLite's ``LIKE`` ignores ASCII case, so ``GLOB`` with
the pattern rewritten), how ``CASEI``/``ACCENTI`` fold a text (the same one-to-one tables of
``geo_ntm.filters`` everywhere: ``translate`` on PostgreSQL, a registered function on SQLite, so
the answer never depends on the server's locale), and how texts are ordered (by code point, as
Python orders them: ``COLLATE "C"`` on PostgreSQL, SQLite's default binary order), and whether the
spatial functions run in SQL (PostGIS: ``ST_Intersects`` ... on the indexed ``units.geom``; plain
SQLite has no geometry functions, so there they run on the rows read: ``held``)."""

from __future__ import annotations

from typing import ClassVar, Protocol

import shapely

from geo_ntm.filters import (
    ACCENT_FOLDS,
    ANY,
    CASE_FOLDS,
    GEOMETRY,
    And,
    Between,
    Compare,
    Const,
    Expr,
    Fold,
    In,
    IsNull,
    Like,
    Not,
    Or,
    Prop,
    Scalar,
    Spatial,
    fold,
    like_parts,
)

_PROVINCE = (
    "(SELECT p.name FROM units p WHERE p.vintage_id = units.vintage_id AND p.level = 'province'"
    " AND p.code = units.province_code)"
)
_DISTRICT = (
    "CASE WHEN units.level = 'commune' THEN (SELECT d.name FROM units d WHERE d.vintage_id = units.vintage_id"
    " AND d.level = 'district' AND d.code = units.district_code) END"
)
#: The properties of a unit view (``geo_ntm.views.unit_view``) the ``units`` table holds, as SQL:
#: the province and district are the names of the unit's parents in its vintage, as the view maps them.
COLUMNS = {
    "code": "units.code",
    "name": "units.name",
    "unit_type": "units.unit_type",
    "flag": "units.flag",
    "admin_level": "units.level",
    "population": "units.population",
    "area_ha": "units.area_ha",
    "province": _PROVINCE,
    "district": _DISTRICT,
}
HELD = frozenset(COLUMNS)
_NUMERIC_COLUMNS = {"population", "area_ha"}


class FilterDialect(Protocol):
    """What a backend says about filters (see the module docstring)."""

    #: Appended to a text operand of an ordered comparison so that texts order by code point.
    text_order: str
    #: Whether ``spatial`` gives SQL (the backend has geometry functions).
    spatial_sql: bool

    def folded(self, kind: str, value: str) -> tuple[str, list]:
        """``value`` (SQL) folded by ``CASEI`` (``kind`` "casei") or ``ACCENTI`` ("accenti"), and its parameters."""

    def like(self, value: str, parts: list[tuple[bool, str]]) -> tuple[str, list]:
        """A case-sensitive match of ``value`` (SQL) on a pattern (``geo_ntm.filters.like_parts``)."""

    def spatial(self, op: str, literal: bytes) -> tuple[str, list] | None:
        """``op`` (a CQL2 spatial function) of ``units.geom`` and a CRS84 geometry (WKB), or None
        when the backend has no geometry functions (the rows read are tested instead)."""


def held(dialect: FilterDialect) -> frozenset[str]:
    """The properties whose terms the backend of ``dialect`` runs in SQL: ``HELD``, and the
    ``geometry`` of the spatial functions where it has them."""
    return HELD | {GEOMETRY} if dialect.spatial_sql else HELD


class SqliteFilters:
    """SQLite: ``GLOB`` for LIKE (``*``, ``?``, and ``[c]`` for a literal ``*``, ``?`` or ``[``);
    the folds are the functions ``register`` adds to a connection."""

    text_order = ""
    spatial_sql = False

    def folded(self, kind: str, value: str) -> tuple[str, list]:
        return f"geo_ntm_{kind}({value})", []

    def like(self, value: str, parts: list[tuple[bool, str]]) -> tuple[str, list]:
        glob = "".join(
            ("*" if ch == ANY else "?") if wild else (f"[{ch}]" if ch in "*?[" else ch) for wild, ch in parts
        )
        return f"{value} GLOB ?", [glob]

    def spatial(self, op: str, literal: bytes) -> None:
        return None


class PostgresFilters:
    """PostgreSQL: ``LIKE`` with ``\\`` as its escape, the folds by ``translate`` on the tables."""

    text_order = ' COLLATE "C"'
    spatial_sql = True
    _TABLES: ClassVar[dict[str, list[str]]] = {
        "casei": ["".join(CASE_FOLDS), "".join(CASE_FOLDS.values())],
        "accenti": ["".join(ACCENT_FOLDS), "".join(ACCENT_FOLDS.values())],
    }

    def folded(self, kind: str, value: str) -> tuple[str, list]:
        return f"translate({value}, ?, ?)", list(self._TABLES[kind])

    def like(self, value: str, parts: list[tuple[bool, str]]) -> tuple[str, list]:
        pattern = "".join(ch if wild else ("\\" + ch if ch in "%_\\" else ch) for wild, ch in parts)
        return f"{value} LIKE ? ESCAPE '\\'", [pattern]

    def spatial(self, op: str, literal: bytes) -> tuple[str, list]:
        """``ST_<op>`` on the indexed geometry (all but ``ST_Disjoint`` use the GiST index)."""
        name = "ST_" + op[2:].capitalize()
        return f"{name}(units.geom, ST_GeomFromWKB(?, 4326))", [literal]


def register(conn) -> None:
    """Add the fold functions ``SqliteFilters`` calls to a sqlite3 connection (deterministic)."""
    for kind in ("casei", "accenti"):
        conn.create_function(
            f"geo_ntm_{kind}", 1, lambda v, k=kind: fold(k, v) if isinstance(v, str) else v, deterministic=True
        )


class _Translation:
    def __init__(self, dialect: FilterDialect):
        self.dialect = dialect
        self.params: list = []

    def scalar(self, node: Scalar) -> str:
        if isinstance(node, Prop):
            return COLUMNS[node.name]
        if isinstance(node, Fold):
            sql, params = self.dialect.folded(node.kind, self.scalar(node.arg))
            self.params.extend(params)
            return sql
        self.params.append(float(node) if isinstance(node, bool) else node)
        return "?"

    def ordered(self, node: Scalar) -> str:
        """A scalar in an ordered comparison: texts by code point."""
        sql = self.scalar(node)
        text = isinstance(node, str | Fold) or (isinstance(node, Prop) and node.name not in _NUMERIC_COLUMNS)
        return f"({sql}{self.dialect.text_order})" if text and self.dialect.text_order else sql

    def condition(self, expr: Expr) -> str:
        if isinstance(expr, And | Or):
            word = " AND " if isinstance(expr, And) else " OR "
            return "(" + word.join(self.condition(a) for a in expr.args) + ")"
        if isinstance(expr, Not):
            return f"NOT {self.condition(expr.arg)}"
        if isinstance(expr, Const):
            return "(1 = 1)" if expr.value else "(1 = 0)"
        if isinstance(expr, IsNull):
            return f"({self.scalar(expr.value)} IS NULL)"
        if isinstance(expr, Compare):
            scalar = self.ordered if expr.op not in ("=", "<>") else self.scalar
            return f"({scalar(expr.left)} {expr.op} {scalar(expr.right)})"
        if isinstance(expr, Between):
            return f"({self.ordered(expr.value)} BETWEEN {self.ordered(expr.low)} AND {self.ordered(expr.high)})"
        if isinstance(expr, In):
            value = self.scalar(expr.value)
            return f"({value} IN ({', '.join(self.scalar(v) for v in expr.values)}))"
        if isinstance(expr, Spatial):
            found = self.dialect.spatial(expr.op, shapely.to_wkb(expr.literal))
            if found is None:
                raise ValueError(f"{expr.op.upper()} is not held by this backend's SQL (see held)")
            self.params.extend(found[1])
            return f"({found[0]})"
        assert isinstance(expr, Like)
        sql, params = self.dialect.like(self.scalar(expr.value), like_parts(expr.pattern))
        self.params.extend(params)
        return f"({sql})"


def condition(expr: Expr, dialect: FilterDialect) -> tuple[str, list]:
    """A condition on ``units`` and its parameters (``?`` marks, in order) keeping the rows ``expr``
    is true for; every property of ``expr`` is one of ``held(dialect)``."""
    translation = _Translation(dialect)
    return translation.condition(expr), translation.params
