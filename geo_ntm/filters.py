"""Property filters (OGC API - Features Part 3, CQL2): read with a kept library, bounded, typed.

A filter in CQL2 text or CQL2 JSON is read by the ``cql2`` library (PyPI, Rust) into its JSON
tree, which ``parse_text`` / ``parse_json`` walk into the frozen dataclasses below (``Expr``),
checking every property against the queryables (their JSON Schema types) and the kinds compared.
The same tree is then run in two places: the part of a top-level ``AND`` that reads only unit
columns becomes SQL in the store (``geo_ntm.store.filter_sql``, split by ``split``), the rest is
evaluated on the rows the store gave (``select``: a pandas Kleene mask, linear in rows x terms).

Accepted: comparisons ``= <> < <= > >=``, ``LIKE`` (``%`` any characters, ``_`` one, ``\\``
escapes; case-sensitive), ``BETWEEN``, ``IN``, ``IS NULL``, ``NOT``, ``AND``, ``OR``, ``TRUE`` /
``FALSE``, ``CASEI(...)`` and ``ACCENTI(...)`` around properties and strings; the spatial functions
``S_INTERSECTS``, ``S_WITHIN``, ``S_CONTAINS``, ``S_DISJOINT``, ``S_EQUALS``, ``S_TOUCHES``,
``S_OVERLAPS``, ``S_CROSSES`` of the ``geometry`` property and a geometry literal (WKT or GeoJSON,
any type, or ``BBOX``), in CRS84 or in the ``filter-crs`` the caller turns into CRS84 (``to_crs84``);
and ``x ILIKE 'p'``,
which GDAL's OGC API driver sends for an OGR ``ILIKE`` (``-where``) and which is read as
``CASEI(x) LIKE CASEI('p')`` (the library does not know it). Strings are NFC.

Cost is bounded before the library sees the text (it crashes the process on ~2,000 nested
parentheses): ``prechecked`` scans the text outside its string literals for its length, the
nesting of parentheses and ``NOT`` and the number of predicates; JSON is scanned for its bracket
depth. The walk then limits ``IN`` lists and ``LIKE`` patterns. Every refusal is an ``InputError``
(HTTP 400) naming the limit and its value."""

from __future__ import annotations

import json
import operator
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import cql2
import numpy as np
import pandas as pd
import shapely
import shapely.geometry

from geo_ntm.errors import InputError

#: Limits of a filter (a 400 says which one and its value). Fixed here rather than settings: they
#: bound the cost of anonymous requests, not a deployment choice, and every filter a client such as
#: GDAL builds from a ``-where`` stays far below them.
MAX_LENGTH = 4000  # characters of the filter text
MAX_TERMS = 50  # predicates (comparisons, LIKE, BETWEEN, IN, IS NULL) in one filter
MAX_DEPTH = 20  # nesting of parentheses and NOT
MAX_IN_VALUES = 500  # values of one IN list
MAX_PATTERN = 100  # characters of one LIKE pattern


class FilterError(InputError):
    """A filter that cannot be read or is past a limit (HTTP 400)."""


def _limit(what: str, limit: int) -> FilterError:
    return FilterError(f"filter: {what}; the limit is {limit}")


# -- the tree -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Prop:
    """A queryable property by name."""

    name: str


@dataclass(frozen=True)
class Fold:
    """``CASEI`` (``kind`` "casei") or ``ACCENTI`` ("accenti") of a property's text."""

    kind: str
    arg: Prop | Fold


Literal = str | float | bool
Scalar = Prop | Fold | Literal


@dataclass(frozen=True)
class Compare:
    """``left op right``, ``op`` one of ``= <> < <= > >=``."""

    op: str
    left: Scalar
    right: Scalar


@dataclass(frozen=True)
class Like:
    """``value LIKE pattern`` (``pattern`` a string, already folded when the value is)."""

    value: Prop | Fold
    pattern: str


@dataclass(frozen=True)
class Between:
    """``value BETWEEN low AND high`` (both ends included)."""

    value: Prop | Fold
    low: Literal
    high: Literal


@dataclass(frozen=True)
class In:
    """``value IN (values)``."""

    value: Prop | Fold
    values: tuple[Literal, ...]


@dataclass(frozen=True)
class IsNull:
    """``value IS NULL``."""

    value: Prop | Fold


@dataclass(frozen=True)
class Not:
    """``NOT arg``."""

    arg: Expr


@dataclass(frozen=True)
class And:
    """``args[0] AND args[1] AND ...``."""

    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    """``args[0] OR args[1] OR ...``."""

    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Const:
    """``TRUE`` or ``FALSE``."""

    value: bool


@dataclass(frozen=True)
class Spatial:
    """``op(geometry, literal)``: ``op`` one of ``SPATIAL_OPS`` (the feature's geometry first), the
    literal a valid shapely geometry in CRS84."""

    op: str
    literal: shapely.Geometry


Expr = Compare | Like | Between | In | IsNull | Not | And | Or | Const | Spatial

#: The property a spatial function tests: each feature's boundary (CRS84).
GEOMETRY = "geometry"
#: The CQL2 spatial functions (names as the library writes them) and shapely's predicate of each.
SPATIAL_OPS = {
    "s_intersects": "intersects",
    "s_within": "within",
    "s_contains": "contains",
    "s_disjoint": "disjoint",
    "s_equals": "equals",
    "s_touches": "touches",
    "s_overlaps": "overlaps",
    "s_crosses": "crosses",
}
#: The function meaning the same with its arguments swapped (the others are symmetric).
_CONVERSE = {"s_within": "s_contains", "s_contains": "s_within"}


def equality(name: str, value: Literal) -> Compare:
    """``name = value`` (a query-parameter property filter)."""
    return Compare("=", Prop(name), value)


def conjunction(exprs: list[Expr]) -> Expr | None:
    """``a AND b AND ...`` of the expressions given (None when there are none)."""
    if not exprs:
        return None
    return exprs[0] if len(exprs) == 1 else And(tuple(exprs))


def properties(expr: Expr | Scalar) -> set[str]:
    """Names of the properties an expression reads."""
    if isinstance(expr, Prop):
        return {expr.name}
    if isinstance(expr, Fold):
        return properties(expr.arg)
    if isinstance(expr, And | Or):
        return set().union(*(properties(a) for a in expr.args))
    if isinstance(expr, Not):
        return properties(expr.arg)
    if isinstance(expr, Compare):
        return properties(expr.left) | properties(expr.right)
    if isinstance(expr, Like | Between | In | IsNull):
        return properties(expr.value)
    if isinstance(expr, Spatial):
        return {GEOMETRY}
    return set()


def envelope(expr: Expr | None) -> tuple[float, float, float, float] | None:
    """A box every feature passing ``expr`` meets: the envelope of the literal of a term of its
    top-level ``AND`` that implies intersecting it (any spatial function but ``S_DISJOINT``), or
    None. A store with a spatial index preselects by it before the exact test."""
    terms = expr.args if isinstance(expr, And) else (expr,)
    for term in terms:
        if isinstance(term, Spatial) and term.op != "s_disjoint":
            minx, miny, maxx, maxy = term.literal.bounds
            return (minx, miny, maxx, maxy)
    return None


def split(expr: Expr | None, held: set[str]) -> tuple[Expr | None, Expr | None]:
    """(the terms of ``expr``'s top-level ``AND`` reading only properties in ``held``, the rest):
    the first runs where those properties are held (the store's SQL), the second on its rows."""
    if expr is None:
        return None, None
    terms = expr.args if isinstance(expr, And) else (expr,)
    inside = [t for t in terms if properties(t) <= held]
    outside = [t for t in terms if not properties(t) <= held]
    return conjunction(inside), conjunction(outside)


# -- CASEI and ACCENTI --------------------------------------------------------------------------
#: The characters the folds map: the Latin script (Basic Latin to Latin Extended-B, and Latin
#: Extended Additional, where the Vietnamese letters with two marks are). Other scripts stay as
#: they are. The same one-to-one tables run in Python, in SQLite (a registered function) and in
#: PostgreSQL (``translate``), so every store gives the same answer whatever its locale.
_LATIN = [chr(c) for c in (*range(0x41, 0x250), *range(0x1E00, 0x1F00))]


def _table(fold: Callable[[str], str]) -> dict[str, str]:
    out = {}
    for ch in _LATIN:
        folded = fold(ch)
        if len(folded) == 1 and folded != ch:
            out[ch] = folded
    return out


def _unmarked(ch: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))


CASE_FOLDS = _table(str.lower)
#: Marks removed; đ and Đ (a stroke, not a mark) become d and D as Vietnamese readers type them.
ACCENT_FOLDS = _table(_unmarked) | {"đ": "d", "Đ": "D"}
_TRANSLATIONS = {
    "casei": str.maketrans(CASE_FOLDS),
    "accenti": str.maketrans(ACCENT_FOLDS),
}


def fold(kind: str, text: str) -> str:
    """``text`` (NFC) as ``CASEI`` (``kind`` "casei") or ``ACCENTI`` ("accenti") gives it."""
    return text.translate(_TRANSLATIONS[kind])


# -- reading ------------------------------------------------------------------------------------
_LEXEME = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_:.]*|<>|<=|>=|!=|\S""")
_PREDICATES = {"=", "<>", "<", "<=", ">", ">=", "!=", "LIKE", "ILIKE", "BETWEEN", "IN", "IS"}
_AFTER_INFIX_NOT = {"LIKE", "ILIKE", "IN", "BETWEEN", "NULL"}


def prechecked(text: str) -> str:
    """``text`` after the checks run before the library reads it (length, nesting of parentheses
    and ``NOT``, predicates), with ``x [NOT] ILIKE 'p'`` written ``CASEI(x) [NOT] LIKE CASEI('p')``.

    Nesting is counted on the words outside string literals: each open parenthesis and each
    prefix ``NOT`` still applying (a ``NOT`` ends at the next ``AND``/``OR``/``)`` of its level)."""
    if len(text) > MAX_LENGTH:
        raise _limit(f"the filter has {len(text)} characters", MAX_LENGTH)
    words = [(m.group(), m.start(), m.end()) for m in _LEXEME.finditer(text)]
    upper = [w.upper() for w, _, _ in words]
    levels = [0]  # prefix NOTs still applying, per open parenthesis
    terms = 0
    for i, word in enumerate(upper):
        if word == "(":
            levels.append(0)
        elif word == ")" and len(levels) > 1:
            levels.pop()
        elif word in ("AND", "OR") and not (i >= 2 and _in_between(upper, i)):
            levels[-1] = 0
        elif word == "NOT" and (i + 1 == len(upper) or upper[i + 1] not in _AFTER_INFIX_NOT):
            levels[-1] += 1
        elif word in _PREDICATES:
            terms += 1
            if terms > MAX_TERMS:
                raise _limit(f"more than {MAX_TERMS} predicates", MAX_TERMS)
        if len(levels) - 1 + sum(levels) > MAX_DEPTH:
            raise _limit(f"parentheses and NOT nest more than {MAX_DEPTH} deep", MAX_DEPTH)
    if "ILIKE" in upper:
        return _ilike_rewritten(text, words, upper)
    return text


def _in_between(upper: list[str], i: int) -> bool:
    """Whether the ``AND`` at ``i`` is the one of ``x BETWEEN a AND b`` (``a`` one word or a sign and a number)."""
    return upper[i - 2] == "BETWEEN" or (i >= 3 and upper[i - 3] == "BETWEEN" and upper[i - 2] in ("-", "+"))


def _ilike_rewritten(text: str, words: list[tuple[str, int, int]], upper: list[str]) -> str:
    out, pos = [], 0
    for i, word in enumerate(upper):
        if word != "ILIKE":
            continue
        j = i - 2 if i >= 2 and upper[i - 1] == "NOT" else i - 1
        if j < 0 or i + 1 >= len(words) or not words[i + 1][0].startswith("'") or words[j][0][0] in "'()":
            raise FilterError(f"filter {text!r}: ILIKE takes a property and a 'pattern'")
        (left, start, _), (pattern, _, end) = words[j], words[i + 1]
        negation = " NOT" if j == i - 2 else ""
        out += [text[pos:start], f"CASEI({left}){negation} LIKE CASEI({pattern})"]
        pos = end
    return "".join(out) + text[pos:]


def _json_depth(text: str) -> int:
    depth = deepest = 0
    for m in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', text):
        token = m.group()
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth -= 1
    return deepest


def _library_error(text: str, exc: BaseException) -> FilterError:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    where = next((ln for ln in lines if ln.startswith("-->")), "")
    expected = next((ln.lstrip("= ") for ln in lines if ln.startswith("=")), lines[-1] if lines else "")
    at = f" at {where[3:].strip()}" if where else ""
    return FilterError(f"filter {text!r}: cannot read it{at}: {expected}")


def _read(reader: Callable[[str], Any], checked: str, text: str) -> Any:
    """The library's JSON tree of ``checked``; its errors, and a panic of its Rust code (pyo3's
    ``PanicException``, not an ``Exception``), are a ``FilterError`` quoting ``text``."""
    try:
        return reader(checked).to_json()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        raise _library_error(text, exc) from None


#: Turns a geometry literal from the filter's CRS into CRS84 (the identity when it is CRS84).
ToCrs84 = Callable[[shapely.Geometry], shapely.Geometry]


def parse_text(text: str, types: Mapping[str, str], to_crs84: ToCrs84 | None = None) -> Expr:
    """The tree of a CQL2 text filter on queryables of these ``types`` (name -> ``string``,
    ``number``, ``integer`` or ``boolean``; ``geometry`` for the spatial functions), its geometry
    literals turned into CRS84 by ``to_crs84``; ``FilterError`` (HTTP 400) says what is wrong."""
    if not text.strip():
        raise FilterError("filter is empty")
    checked = prechecked(text)
    return _Walk(text, types, to_crs84).tree(_read(cql2.parse_text, checked, text))


def parse_json(text: str, types: Mapping[str, str], to_crs84: ToCrs84 | None = None) -> Expr:
    """The tree of a CQL2 JSON filter (see ``parse_text``)."""
    if len(text) > MAX_LENGTH:
        raise _limit(f"the filter has {len(text)} characters", MAX_LENGTH)
    # {"op": "not", "args": [...]} is two brackets a level; the predicates and folds below add four
    if _json_depth(text) > 2 * MAX_DEPTH + 4:
        raise _limit(f"parentheses and NOT nest more than {MAX_DEPTH} deep", MAX_DEPTH)
    return _Walk(text, types, to_crs84).tree(_read(cql2.parse_json, text, text))


_COMPARISONS = {"=", "<>", "<", "<=", ">", ">="}
#: Arguments each operator takes (at least; exactly for those in ``_EXACT``).
_ARITY = {
    **dict.fromkeys(_COMPARISONS, 2),
    **dict.fromkeys(SPATIAL_OPS, 2),
    "like": 2,
    "between": 3,
    "in": 2,
    "isnull": 1,
    "not": 1,
}
_EXACT = set(_ARITY)
_NUMERIC = {"number", "integer"}
_SPATIAL = re.compile(r"^(s|t|a)_")


def _kind(literal: Any) -> str:
    if isinstance(literal, bool):
        return "boolean"
    return "number" if isinstance(literal, int | float) else "string"


def _numbers(lkind: str, rkind: str, where: str) -> bool:
    """Whether operands of these kinds compare as numbers (GDAL sends booleans as 0/1); a number
    compared with a string is an error."""
    kinds = {lkind, rkind}
    if kinds <= _NUMERIC | {"boolean"} and "boolean" in kinds and kinds != {"boolean"}:
        return True
    if kinds <= _NUMERIC or len(kinds) == 1:
        return False
    hint = "; quote the value ('...')" if lkind == "string" and rkind in _NUMERIC | {"boolean"} else ""
    raise FilterError(f"filter: {where} compares a {lkind} with a {rkind}{hint}")


def _name(node: Scalar) -> str:
    if isinstance(node, Prop):
        return node.name
    if isinstance(node, Fold):
        return f"{node.kind.upper()}({_name(node.arg)})"
    return repr(node)


class _Walk:
    """The library's JSON tree walked into an ``Expr``: limits, queryables and kinds checked."""

    def __init__(self, text: str, types: Mapping[str, str], to_crs84: ToCrs84 | None = None):
        self.text = text
        self.types = types
        self.to_crs84 = to_crs84
        self.terms = 0
        self.unknown: set[str] = set()

    def tree(self, node: Any) -> Expr:
        expr = self.expr(node, 0)
        if self.unknown:
            raise FilterError(
                f"filter: unknown propert{'ies' if len(self.unknown) > 1 else 'y'} "
                f"{', '.join(repr(u) for u in sorted(self.unknown))}; queryables are {', '.join(sorted(self.types))}"
            )
        return expr

    def expr(self, node: Any, depth: int) -> Expr:
        if isinstance(node, bool):
            return Const(node)
        if not isinstance(node, dict) or "op" not in node:
            raise FilterError(f"filter {self.text!r}: {json.dumps(node)[:60]} is not a condition")
        op, args = str(node["op"]).lower(), node.get("args") or []
        if not isinstance(args, list) or len(args) < _ARITY.get(op, 1) or (op in _EXACT and len(args) > _ARITY[op]):
            raise FilterError(f"filter {self.text!r}: {op!r} has {len(args)} arguments")
        if op in ("and", "or", "not"):
            if depth >= MAX_DEPTH:
                raise _limit(f"parentheses and NOT nest more than {MAX_DEPTH} deep", MAX_DEPTH)
            parts = tuple(self.expr(a, depth + 1) for a in args)
            if op == "not":
                return Not(parts[0])
            return And(parts) if op == "and" else Or(parts)
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise _limit(f"more than {MAX_TERMS} predicates", MAX_TERMS)
        if op in _COMPARISONS:
            left, right = self.scalar(args[0]), self.scalar(args[1])
            self.check(op, left, right)
            return Compare(op, left, right)
        if op == "like":
            return self.like(args)
        if op == "between":
            value, low, high = self.operand(args[0]), self.literal(args[1]), self.literal(args[2])
            self.check("BETWEEN", value, low)
            self.check("BETWEEN", value, high)
            return Between(value, low, high)
        if op == "in":
            return self.isin(args)
        if op == "isnull":
            return IsNull(self.operand(args[0]))
        if op in SPATIAL_OPS:
            return self.spatial(op, args)
        if _SPATIAL.match(op):
            raise FilterError(f"filter: {op.upper()}: temporal and array predicates are not supported")
        raise FilterError(f"filter: the operator {op!r} is not supported")

    def scalar(self, node: Any) -> Scalar:
        """A property, a literal, or ``CASEI``/``ACCENTI`` of either (of a literal: folded here)."""
        if isinstance(node, dict) and "property" in node:
            name = unicodedata.normalize("NFC", str(node["property"]))
            if name not in self.types:
                self.unknown.add(name)
            return Prop(name)
        if isinstance(node, dict) and str(node.get("op", "")).lower() in ("casei", "accenti"):
            kind = str(node["op"]).lower()
            arg = self.scalar((node.get("args") or [None])[0])
            if isinstance(arg, str):
                return fold(kind, arg)
            if isinstance(arg, Prop | Fold) and self.kind(arg) == "string":
                return Fold(kind, arg)
            raise FilterError(f"filter: {kind.upper()} takes a string property or a 'string', not {_name(arg)}")
        if isinstance(node, str):
            return unicodedata.normalize("NFC", node)
        if isinstance(node, bool | int | float):
            return node
        raise FilterError(f"filter {self.text!r}: {json.dumps(node)[:60]} is not a property or a literal")

    def operand(self, node: Any) -> Prop | Fold:
        value = self.scalar(node)
        if not isinstance(value, Prop | Fold):
            raise FilterError(f"filter: {_name(value)}: this predicate tests a property, not a literal")
        return value

    def literal(self, node: Any) -> Literal:
        value = self.scalar(node)
        if isinstance(value, Prop | Fold):
            raise FilterError(f"filter: {_name(value)}: only literals are accepted here")
        return value

    def kind(self, node: Scalar) -> str:
        if isinstance(node, Fold):
            return "string"
        if isinstance(node, Prop):
            return self.types.get(node.name, "string")
        return _kind(node)

    def check(self, op: str, left: Scalar, right: Scalar) -> None:
        if properties(left) & self.unknown or properties(right) & self.unknown:
            return  # refused for the unknown property
        lk, rk = self.kind(left), self.kind(right)
        where = f"{_name(left)} {op} {_name(right)}"
        _numbers(lk, rk, where)
        if op not in ("=", "<>") and "boolean" in (lk, rk):
            raise FilterError(f"filter: {where}: booleans compare only with = and <>")

    def like(self, args: list) -> Like:
        value, pattern = self.operand(args[0]), self.scalar(args[1])
        if self.kind(value) != "string" or not isinstance(pattern, str):
            raise FilterError(
                f"filter: LIKE needs a string property and a 'pattern', not {_name(value)} and {_name(pattern)}"
            )
        if len(pattern) > MAX_PATTERN:
            raise _limit(f"a LIKE pattern has {len(pattern)} characters", MAX_PATTERN)
        return Like(value, pattern)

    def spatial(self, op: str, args: list) -> Spatial:
        """``op`` of the ``geometry`` property and a geometry literal, in either order."""
        first, second = args
        if isinstance(second, dict) and "property" in second and not (isinstance(first, dict) and "property" in first):
            first, second, op = second, first, _CONVERSE.get(op, op)
        if not (isinstance(first, dict) and "property" in first):
            raise FilterError(f"filter: {op.upper()} tests the property {GEOMETRY!r} against a geometry literal")
        name = unicodedata.normalize("NFC", str(first["property"]))
        if name != GEOMETRY:
            raise FilterError(f"filter: {op.upper()}({name}, ...): the spatial property is {GEOMETRY!r}")
        return Spatial(op, self.geometry(op, second))

    def geometry(self, op: str, node: Any) -> shapely.Geometry:
        """A geometry literal (GeoJSON as the library gives WKT, or ``{"bbox": [...]}``), valid, in CRS84."""
        shown = json.dumps(node)[:80]
        where = f"filter: {op.upper()}: the geometry {shown}"
        try:
            if isinstance(node, dict) and "bbox" in node:
                box = [float(v) for v in node["bbox"]]
                if len(box) == 6:
                    box = [box[0], box[1], box[3], box[4]]
                if len(box) != 4 or box[0] > box[2] or box[1] > box[3]:
                    raise ValueError("a BBOX is minx, miny, maxx, maxy with the lower corner first")
                geom = shapely.box(*box) if box[0] < box[2] and box[1] < box[3] else _degenerate(box)
            elif isinstance(node, dict) and "type" in node:
                _check_rings(node)
                geom = shapely.geometry.shape(node)
            else:
                raise ValueError("is not a geometry literal (WKT such as POINT(106.6 10.8), GeoJSON, or BBOX)")
        except FilterError:
            raise
        except Exception as exc:  # shapely's and the conversions' errors say what is wrong
            raise FilterError(f"{where}: {exc}") from None
        if geom.is_empty:
            raise FilterError(f"{where} is empty")
        if not shapely.is_valid(geom):
            raise FilterError(f"{where} is not valid: {shapely.is_valid_reason(geom)}")
        if self.to_crs84 is not None:
            geom = self.to_crs84(geom)
        minx, miny, maxx, maxy = geom.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise FilterError(
                f"{where} is outside longitude -180..180, latitude -90..90 (in the filter-crs axis order)"
            )
        return geom

    def isin(self, args: list) -> In:
        value, items = self.operand(args[0]), args[1]
        if not isinstance(items, list) or not items:
            raise FilterError(f"filter: IN takes a list of one value or more, not {json.dumps(items)[:60]}")
        if len(items) > MAX_IN_VALUES:
            raise _limit(f"an IN list has more than {MAX_IN_VALUES} values", MAX_IN_VALUES)
        values = tuple(self.literal(v) for v in items)
        for v in values:
            self.check("IN", value, v)
        return In(value, values)


def _check_rings(node: dict) -> None:
    """ValueError naming the first ring of a GeoJSON geometry not closed (its last position not its
    first): shapely would close it silently, which would test another polygon than the one sent."""
    polygons = {"Polygon": [node.get("coordinates")], "MultiPolygon": node.get("coordinates")}.get(node["type"])
    for p, polygon in enumerate(polygons or []):
        for r, ring in enumerate(polygon or []):
            if isinstance(ring, list) and ring and ring[0] != ring[-1]:
                raise ValueError(
                    f"ring {r + 1} of polygon {p + 1} is not closed (it ends at {ring[-1]}, not {ring[0]})"
                )
    for member in node.get("geometries") or []:
        if isinstance(member, dict) and "type" in member:
            _check_rings(member)


def _degenerate(box: list[float]) -> shapely.Geometry:
    """A box without area as the point or line it is (a polygon of it would be invalid)."""
    return shapely.envelope(shapely.linestrings([box[:2], box[2:]]))


# -- LIKE patterns --------------------------------------------------------------------------------
#: One element of a LIKE pattern: a literal character, ANY (``%``) or ONE (``_``).
ANY, ONE = "%", "_"


def like_parts(pattern: str) -> list[tuple[bool, str]]:
    """A CQL2 LIKE pattern as (wildcard?, character) pairs: ``\\`` escapes the next character (a
    trailing one stands for itself), consecutive ``%`` are one."""
    parts: list[tuple[bool, str]] = []
    escape = False
    for ch in pattern:
        if escape:
            parts.append((False, ch))
            escape = False
        elif ch == "\\":
            escape = True
        elif ch in (ANY, ONE):
            if not (ch == ANY and parts and parts[-1] == (True, ANY)):
                parts.append((True, ch))
        else:
            parts.append((False, ch))
    if escape:
        parts.append((False, "\\"))
    return parts


class _Segment:
    """A run of a LIKE pattern between two ``%``: literal characters and ``_`` (any one), found by
    ``str.find`` when it has no ``_`` and by a regular expression without repetition otherwise."""

    def __init__(self, chars: list[str | None]):
        self.length = len(chars)
        self.text = None if None in chars else "".join(c for c in chars if c is not None)
        self.regex = (
            re.compile("".join("." if c is None else re.escape(c) for c in chars), re.DOTALL)
            if self.text is None
            else None
        )

    def at(self, value: str, pos: int) -> bool:
        if self.regex is None:
            return value.startswith(self.text or "", pos)
        return self.regex.match(value, pos) is not None

    def find(self, value: str, pos: int, end: int) -> int:
        if self.regex is None:
            return value.find(self.text or "", pos, end)
        m = self.regex.search(value, pos, end)
        return -1 if m is None else m.start()


class LikePattern:
    """A CQL2 ``LIKE`` pattern matched without backtracking: the first segment at the start, the
    last at the end, the ones between leftmost in turn (taking the leftmost match of each never
    loses a match), so a value of length n costs at most n x (pattern length) character steps."""

    def __init__(self, pattern: str):
        segments: list[list[str | None]] = [[]]
        for wild, ch in like_parts(pattern):
            if wild and ch == ANY:
                segments.append([])
            else:
                segments[-1].append(None if wild else ch)
        first, *rest = [_Segment(s) for s in segments]
        self.first = first
        self.middle = [s for s in rest[:-1] if s.length]
        self.last = rest[-1] if rest else None

    def matches(self, value: str) -> bool:
        """Whether ``value`` matches the pattern."""
        first, last = self.first, self.last
        if last is None:  # no %: the whole value
            return first.length == len(value) and first.at(value, 0)
        if not first.at(value, 0):
            return False
        pos, end = first.length, len(value) - last.length
        if end < pos:
            return False
        for segment in self.middle:
            found = segment.find(value, pos, end)
            if found < 0:
                return False
            pos = found + segment.length
        return last.at(value, end)


# -- evaluation on rows ---------------------------------------------------------------------------
_OPS = {"=": operator.eq, "<>": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def _kleene(values, known) -> pd.arrays.BooleanArray:
    return pd.arrays.BooleanArray(np.asarray(values, dtype=bool), ~np.asarray(known, dtype=bool))


def _as_float(values: np.ndarray) -> np.ndarray:
    return np.array([None if v is None else float(v) for v in values], dtype=object)


class _Evaluation:
    """One evaluation over a frame: each property's values are read (and NFC-normalised) once."""

    def __init__(self, frame: pd.DataFrame, types: Mapping[str, str]):
        self.frame = frame
        self.types = types
        self.n = len(frame)
        self.columns: dict[Scalar, np.ndarray] = {}

    def kind(self, node: Scalar) -> str:
        if isinstance(node, Fold):
            return "string"
        return self.types.get(node.name, "string") if isinstance(node, Prop) else _kind(node)

    def operand(self, node: Scalar) -> np.ndarray:
        """The values (an object array, None where missing) of a property, fold or literal."""
        if not isinstance(node, Prop | Fold):
            return np.full(self.n, node, dtype=object)
        if node not in self.columns:
            if isinstance(node, Fold):
                inner = self.operand(node.arg)
                self.columns[node] = np.array([fold(node.kind, v) if isinstance(v, str) else v for v in inner], object)
            else:
                self.columns[node] = self._column(node.name)
        return self.columns[node]

    def _column(self, name: str) -> np.ndarray:
        if name not in self.frame.columns:
            return np.full(self.n, None, dtype=object)
        series = self.frame[name].astype(object)
        values = np.asarray(series.where(series.notna(), None), dtype=object)
        if self.types.get(name) == "string":
            values = np.array(
                [unicodedata.normalize("NFC", v) if isinstance(v, str) else v for v in values], dtype=object
            )
        return values

    def mask(self, expr: Expr) -> pd.arrays.BooleanArray:
        if isinstance(expr, And | Or):
            masks = [self.mask(a) for a in expr.args]
            out = masks[0]
            for m in masks[1:]:
                out = out & m if isinstance(expr, And) else out | m
            return out
        if isinstance(expr, Not):
            return ~self.mask(expr.arg)
        if isinstance(expr, Const):
            return _kleene(np.full(self.n, expr.value), np.ones(self.n, dtype=bool))
        if isinstance(expr, IsNull):
            return _kleene(pd.isna(self.operand(expr.value)), np.ones(self.n, dtype=bool))
        if isinstance(expr, Compare):
            return self.compare(expr.op, expr.left, expr.right)
        if isinstance(expr, Between):
            return self.compare(">=", expr.value, expr.low) & self.compare("<=", expr.value, expr.high)
        if isinstance(expr, In):
            return self.isin(expr)
        if isinstance(expr, Spatial):
            return self.spatial(expr)
        return self.like(expr)

    def spatial(self, expr: Spatial) -> pd.arrays.BooleanArray:
        """shapely's predicate of each feature's geometry (the frame's ``geometry``) and the literal."""
        if GEOMETRY not in self.frame.columns:
            raise ValueError(f"the rows have no {GEOMETRY!r} column to test {expr.op.upper()}")
        geoms = np.asarray(self.frame[GEOMETRY], dtype=object)
        known = ~shapely.is_missing(geoms)
        found = np.zeros(self.n, dtype=bool)
        if known.any():
            predicate = getattr(shapely, SPATIAL_OPS[expr.op])
            found[known] = predicate(geoms[known], expr.literal)
        return _kleene(found, known)

    def compare(self, op: str, lnode: Scalar, rnode: Scalar) -> pd.arrays.BooleanArray:
        left, right = self.operand(lnode), self.operand(rnode)
        if _numbers(self.kind(lnode), self.kind(rnode), op):
            left, right = _as_float(left), _as_float(right)
        known = ~(pd.isna(left) | pd.isna(right))
        result = np.zeros(self.n, dtype=bool)
        if known.any():
            result[known] = np.asarray(_OPS[op](left[known], right[known]), dtype=bool)
        return _kleene(result, known)

    def isin(self, expr: In) -> pd.arrays.BooleanArray:
        """One hashed membership test for the list."""
        left, literals = self.operand(expr.value), list(expr.values)
        if any(_numbers(self.kind(expr.value), _kind(v), "IN") for v in literals):
            left, literals = _as_float(left), [float(v) for v in literals]
        known = ~pd.isna(left)
        found = np.zeros(self.n, dtype=bool)
        if known.any():
            found[known] = pd.Series(left[known], dtype=object).isin(set(literals)).to_numpy(dtype=bool)
        return _kleene(found, known)

    def like(self, expr: Like) -> pd.arrays.BooleanArray:
        values = self.operand(expr.value)
        pattern = LikePattern(expr.pattern)
        known = ~pd.isna(values)
        codes, distinct = pd.factorize(values[known])
        found = np.zeros(self.n, dtype=bool)
        if len(distinct):  # each distinct value is matched once
            found[known] = np.array([pattern.matches(v) for v in distinct], dtype=bool)[codes]
        return _kleene(found, known)


def select(expr: Expr | None, frame: pd.DataFrame, types: Mapping[str, str]) -> np.ndarray:
    """Rows of ``frame`` (its columns named as the properties, and ``geometry`` in CRS84 for the
    spatial functions) the expression is true for (unknown is false), as a numpy bool array;
    ``types`` maps each property to its JSON Schema type."""
    if expr is None:
        return np.ones(len(frame), dtype=bool)
    return np.asarray(_Evaluation(frame, types).mask(expr).fillna(False), dtype=bool)
