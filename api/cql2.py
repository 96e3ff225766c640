"""A small CQL2 text parser and evaluator for property filters (OGC API - Features Part 3).

Supported (Basic CQL2 plus the advanced comparison operators):

- comparisons ``=  <>  <  <=  >  >=`` between a property and a literal (either side);
- ``LIKE`` / ``NOT LIKE`` (``%`` any characters, ``_`` one character, ``\\`` escapes),
  ``ILIKE`` (case-insensitive, an extension GDAL may send), ``BETWEEN a AND b``,
  ``IN (a, b, ...)``, ``IS [NOT] NULL``;
- ``AND``, ``OR``, ``NOT`` and parentheses;
- literals: 'strings' (``''`` for a quote), numbers, ``TRUE``/``FALSE``; properties by name or
  "double-quoted".

An expression is parsed into a tree of tuples, then evaluated on a pandas DataFrame of feature
properties as a Kleene (three-valued) boolean mask: a comparison with a missing value is unknown,
and unknown rows are not selected. Strings are compared after Unicode NFC normalisation."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo_ntm.errors import InputError

KEYWORDS = {"AND", "OR", "NOT", "LIKE", "ILIKE", "BETWEEN", "IN", "IS", "NULL", "TRUE", "FALSE"}
_TOKEN = re.compile(
    r"""
    \s*(?:
      (?P<string>'(?:[^']|'')*')
     |(?P<number>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
     |(?P<op><>|<=|>=|!=|=|<|>)
     |(?P<punct>[(),])
     |(?P<quoted>"(?:[^"]|"")+")
     |(?P<word>[A-Za-z_][A-Za-z0-9_:.]*)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Prop:
    name: str


class Cql2Error(InputError):
    """A filter that cannot be parsed or evaluated (HTTP 400)."""


def _tokens(text: str) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos or m.lastgroup is None:  # every token is one named group
            raise Cql2Error(f"filter: cannot read {text[pos : pos + 20]!r} at character {pos + 1} of {text!r}")
        pos = m.end()
        kind = m.lastgroup
        value = m.group(kind)
        if kind == "string":
            out.append(("lit", unicodedata.normalize("NFC", value[1:-1].replace("''", "'"))))
        elif kind == "number":
            out.append(("lit", float(value) if re.search(r"[.eE]", value) else int(value)))
        elif kind == "op":
            out.append(("op", "<>" if value == "!=" else value))
        elif kind == "punct":
            out.append((value, value))
        elif kind == "quoted":
            out.append(("prop", value[1:-1].replace('""', '"')))
        elif value.upper() in ("TRUE", "FALSE"):
            out.append(("lit", value.upper() == "TRUE"))
        elif value.upper() in KEYWORDS:
            out.append(("kw", value.upper()))
        else:
            out.append(("prop", value))
    return out


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0

    def peek(self, kind: str | None = None, value=None) -> bool:
        if self.i >= len(self.tokens):
            return False
        k, v = self.tokens[self.i]
        return (kind is None or k == kind) and (value is None or v == value)

    def take(self, kind: str | None = None, value=None):
        if not self.peek(kind, value):
            got = self.tokens[self.i][1] if self.i < len(self.tokens) else "the end"
            raise Cql2Error(f"filter {self.text!r}: expected {value or kind}, found {got!r}")
        self.i += 1
        return self.tokens[self.i - 1][1]

    def parse(self):
        if not self.tokens:
            raise Cql2Error("filter is empty")
        node = self.disjunction()
        if self.i != len(self.tokens):
            raise Cql2Error(f"filter {self.text!r}: unexpected {self.tokens[self.i][1]!r}")
        return node

    def disjunction(self):
        return self._chain("OR", self.conjunction)

    def conjunction(self):
        return self._chain("AND", self.negation)

    def _chain(self, keyword: str, operand):
        """``operand (keyword operand)*``, grouped from the left: ``(keyword.lower(), left, right)``."""
        node = operand()
        while self.peek("kw", keyword):
            self.take()
            node = (keyword.lower(), node, operand())
        return node

    def negation(self):
        if self.peek("kw", "NOT"):
            self.take()
            return ("not", self.negation())
        return self.predicate()

    def scalar(self):
        if self.peek("lit"):
            return self.take()
        if self.peek("prop"):
            return Prop(self.take())
        if self.peek("op", "-") or self.peek("op", "+"):
            raise Cql2Error(f"filter {self.text!r}: arithmetic is not supported")
        got = self.tokens[self.i][1] if self.i < len(self.tokens) else "the end"
        raise Cql2Error(f"filter {self.text!r}: expected a property or a literal, found {got!r}")

    def predicate(self):
        if self.peek("("):
            self.take("(")
            node = self.disjunction()
            self.take(")")
            return node
        left = self.scalar()
        if self.peek("op"):
            op = self.take()
            return ("cmp", op, left, self.scalar())
        negate = False
        if self.peek("kw", "NOT"):
            self.take()
            negate = True
        if self.peek("kw", "LIKE") or self.peek("kw", "ILIKE"):
            kw = self.take()
            node = ("like", left, self.scalar(), kw == "ILIKE")
        elif self.peek("kw", "BETWEEN"):
            self.take()
            low = self.scalar()
            self.take("kw", "AND")
            node = ("between", left, low, self.scalar())
        elif self.peek("kw", "IN"):
            self.take()
            self.take("(")
            values = [self.scalar()]
            while self.peek(","):
                self.take(",")
                values.append(self.scalar())
            self.take(")")
            node = ("in", left, values)
        elif self.peek("kw", "IS") and not negate:
            self.take()
            if self.peek("kw", "NOT"):
                self.take()
                negate = True
            self.take("kw", "NULL")
            node = ("isnull", left)
        else:
            if isinstance(left, bool) and not negate:
                return ("bool", left)
            got = self.tokens[self.i][1] if self.i < len(self.tokens) else "the end"
            raise Cql2Error(
                f"filter {self.text!r}: expected a comparison after {getattr(left, 'name', left)!r}, found {got!r}"
            )
        return ("not", node) if negate else node


def parse(text: str):
    """The expression tree of a CQL2 text filter; ``Cql2Error`` (HTTP 400) says what is wrong."""
    return _Parser(text).parse()


def properties(node) -> set[str]:
    """Names of the properties an expression uses."""
    if isinstance(node, Prop):
        return {node.name}
    if isinstance(node, tuple):
        return set().union(*(properties(n) for n in node[1:])) if len(node) > 1 else set()
    if isinstance(node, list):
        return set().union(*(properties(n) for n in node)) if node else set()
    return set()


def equality(name: str, value) -> tuple:
    """The expression ``name = value`` (a query-parameter property filter)."""
    return ("cmp", "=", Prop(name), value)


def conjunction(nodes: list) -> tuple | None:
    """``a AND b AND ...`` of the expressions given (None when there are none)."""
    node = None
    for n in nodes:
        node = n if node is None else ("and", node, n)
    return node


# -- evaluation ------------------------------------------------------------------------------
def _kleene(values, known) -> pd.arrays.BooleanArray:
    data = np.asarray(values, dtype=bool)
    return pd.arrays.BooleanArray(data, ~np.asarray(known, dtype=bool))


def _operand(node, frame: pd.DataFrame, types: dict[str, str]):
    """(values as an object array, kind) of a property or literal."""
    if isinstance(node, Prop):
        if node.name not in types:
            raise Cql2Error(f"filter: unknown property {node.name!r}; queryables are {', '.join(sorted(types))}")
        kind = types[node.name]
        if node.name not in frame.columns:
            return np.full(len(frame), None, dtype=object), kind
        series = frame[node.name].astype(object)
        return np.asarray(series.where(series.notna(), None), dtype=object), kind
    if isinstance(node, bool):
        return np.full(len(frame), node, dtype=object), "boolean"
    if isinstance(node, int | float):
        return np.full(len(frame), node, dtype=object), "number"  # integer and number compare alike
    return np.full(len(frame), node, dtype=object), "string"


def _coerce(left, lkind, right, rkind, where: str):
    """Both operands as comparable values; a number compared with a string is an error."""
    kinds = {lkind, rkind}
    numeric = {"number", "integer"}
    if kinds <= numeric | {"boolean"} and "boolean" in kinds and kinds != {"boolean"}:
        # GDAL sends booleans as 0/1
        return [None if v is None else float(v) for v in left], [None if v is None else float(v) for v in right]
    if kinds <= numeric:
        return left, right
    if len(kinds) == 1:
        return left, right
    hint = "; quote the value ('...')" if lkind == "string" and rkind in numeric | {"boolean"} else ""
    raise Cql2Error(f"filter: {where} compares a {lkind} with a {rkind}{hint}")


def _compare(op: str, a, b) -> bool:
    if isinstance(a, str):
        a = unicodedata.normalize("NFC", a)
    return {"=": a == b, "<>": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _like_regex(pattern: str, insensitive: bool) -> re.Pattern:
    out, escape = [], False
    for ch in pattern:
        if escape:
            out.append(re.escape(ch))
            escape = False
        elif ch == "\\":
            escape = True
        elif ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out), re.DOTALL | (re.IGNORECASE if insensitive else 0))


def _name(node) -> str:
    return node.name if isinstance(node, Prop) else repr(node)


def evaluate(node, frame: pd.DataFrame, types: dict[str, str]) -> pd.arrays.BooleanArray:
    """The Kleene boolean mask of ``node`` over the rows of ``frame``; ``types`` maps each
    queryable property to ``string``, ``number``, ``integer`` or ``boolean``."""
    n = len(frame)
    kind = node[0]
    if kind == "and":
        return evaluate(node[1], frame, types) & evaluate(node[2], frame, types)
    if kind == "or":
        return evaluate(node[1], frame, types) | evaluate(node[2], frame, types)
    if kind == "not":
        return ~evaluate(node[1], frame, types)
    if kind == "bool":
        return _kleene([node[1]] * n, [True] * n)
    if kind == "isnull":
        values, _ = _operand(node[1], frame, types)
        return _kleene([v is None for v in values], [True] * n)
    if kind == "cmp":
        op, lnode, rnode = node[1], node[2], node[3]
        left, lk = _operand(lnode, frame, types)
        right, rk = _operand(rnode, frame, types)
        left, right = _coerce(left, lk, right, rk, f"{_name(lnode)} {op} {_name(rnode)}")
        if op not in ("=", "<>") and "boolean" in (lk, rk):
            raise Cql2Error(f"filter: {_name(lnode)} {op} {_name(rnode)}: booleans compare only with = and <>")
        known = [a is not None and b is not None for a, b in zip(left, right, strict=True)]
        return _kleene([k and _compare(op, a, b) for a, b, k in zip(left, right, known, strict=True)], known)
    if kind == "like":
        values, vk = _operand(node[1], frame, types)
        if vk != "string" or not isinstance(node[2], str):
            raise Cql2Error(
                f"filter: LIKE needs a string property and a 'pattern', not {_name(node[1])} and {_name(node[2])}"
            )
        regex = _like_regex(node[2], node[3])
        known = [v is not None for v in values]
        return _kleene(
            [k and bool(regex.fullmatch(unicodedata.normalize("NFC", v))) for v, k in zip(values, known, strict=True)],
            known,
        )
    if kind == "between":
        return evaluate(("cmp", ">=", node[1], node[2]), frame, types) & evaluate(
            ("cmp", "<=", node[1], node[3]), frame, types
        )
    if kind == "in":
        mask = _kleene([False] * n, [True] * n)
        for value in node[2]:
            mask = mask | evaluate(("cmp", "=", node[1], value), frame, types)
        return mask
    raise Cql2Error(f"filter: unsupported expression {kind!r}")  # pragma: no cover


def select(node, frame: pd.DataFrame, types: dict[str, str]) -> np.ndarray:
    """Rows of ``frame`` the expression is true for (unknown is false), as a numpy bool array."""
    if node is None:
        return np.ones(len(frame), dtype=bool)
    return np.asarray(evaluate(node, frame, types).fillna(False), dtype=bool)
