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
and unknown rows are not selected. Strings are compared after Unicode NFC normalisation.

Cost is bounded (an anonymous client must not hold a worker): a filter is refused with a 400 naming
the limit when it is longer than ``MAX_LENGTH`` characters, has more than ``MAX_TERMS`` predicates,
nests deeper than ``MAX_DEPTH`` (parentheses and ``NOT``), lists more than ``MAX_IN_VALUES`` values
in one ``IN`` or has a ``LIKE`` pattern longer than ``MAX_PATTERN`` characters. Those checks run
while reading, before any recursion gets deep. Evaluation is linear in the rows times the terms:
comparisons and ``IN`` are vectorised (``IN`` is one hashed membership test), and ``LIKE`` never
uses a backtracking regular expression: the pattern is cut at its ``%`` into segments that are
found leftmost in turn (the greedy wildcard match, at most length x pattern steps per value).

The hand-written parser is kept rather than a library: ``pygeofilter`` 0.4.0 reads ``_`` as ``.``
and rejects one-letter property names, and neither it nor ``cql2`` 0.6.0 reads ``ILIKE``, which
this service has accepted from GDAL; the limits above bound this parser's work and recursion."""

from __future__ import annotations

import operator
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo_ntm.errors import InputError

#: Limits of a CQL2 filter (a 400 says which one and its value). Fixed here rather than settings:
#: they bound the cost of anonymous requests, not a deployment choice, and every filter a client
#: such as GDAL builds from a ``-where`` stays far below them.
MAX_LENGTH = 4000  # characters of the filter text
MAX_TERMS = 50  # predicates (comparisons, LIKE, BETWEEN, IN, IS NULL) in one filter
MAX_DEPTH = 20  # nesting of parentheses and NOT
MAX_IN_VALUES = 500  # values of one IN list
MAX_PATTERN = 100  # characters of one LIKE pattern

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


def _limit(what: str, limit: int) -> Cql2Error:
    return Cql2Error(f"filter: {what}; the limit is {limit}")


class _Parser:
    def __init__(self, text: str):
        if len(text) > MAX_LENGTH:
            raise _limit(f"the filter has {len(text)} characters", MAX_LENGTH)
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0
        self.depth = 0  # parentheses and NOT open around the current token
        self.terms = 0  # predicates read so far

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _limit(f"parentheses and NOT nest more than {MAX_DEPTH} deep", MAX_DEPTH)

    def _term(self) -> None:
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise _limit(f"more than {MAX_TERMS} predicates", MAX_TERMS)

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
            self._enter()
            node = ("not", self.negation())
            self.depth -= 1
            return node
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
            self._enter()
            node = self.disjunction()
            self.take(")")
            self.depth -= 1
            return node
        self._term()
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
            pattern = self.scalar()
            if isinstance(pattern, str) and len(pattern) > MAX_PATTERN:
                raise _limit(f"a LIKE pattern has {len(pattern)} characters", MAX_PATTERN)
            node = ("like", left, pattern, kw == "ILIKE")
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
                if len(values) > MAX_IN_VALUES:
                    raise _limit(f"an IN list has more than {MAX_IN_VALUES} values", MAX_IN_VALUES)
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
_OPS = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_NUMERIC = {"number", "integer"}


def _kleene(values, known) -> pd.arrays.BooleanArray:
    data = np.asarray(values, dtype=bool)
    return pd.arrays.BooleanArray(data, ~np.asarray(known, dtype=bool))


def _numbers(lkind: str, rkind: str, where: str) -> bool:
    """Whether operands of these kinds compare as floats (GDAL sends booleans as 0/1); a number
    compared with a string is an error."""
    kinds = {lkind, rkind}
    if kinds <= _NUMERIC | {"boolean"} and "boolean" in kinds and kinds != {"boolean"}:
        return True
    if kinds <= _NUMERIC or len(kinds) == 1:
        return False
    hint = "; quote the value ('...')" if lkind == "string" and rkind in _NUMERIC | {"boolean"} else ""
    raise Cql2Error(f"filter: {where} compares a {lkind} with a {rkind}{hint}")


def _kind(literal) -> str:
    """The kind of a literal: integer and number compare alike."""
    if isinstance(literal, bool):
        return "boolean"
    return "number" if isinstance(literal, int | float) else "string"


def _as_float(values: np.ndarray) -> np.ndarray:
    return np.array([None if v is None else float(v) for v in values], dtype=object)


def _name(node) -> str:
    return node.name if isinstance(node, Prop) else repr(node)


class _Segment:
    """A run of a LIKE pattern between two ``%``: literal characters and ``_`` (any one), found by
    ``str.find`` when it has no ``_`` and by a regular expression without any repetition (so
    without backtracking beyond the segment's length) otherwise."""

    def __init__(self, chars: list[str | None]):
        self.length = len(chars)
        self.text: str | None
        self.regex: re.Pattern[str] | None
        if None in chars:
            self.text = None
            self.regex = re.compile("".join("." if c is None else re.escape(c) for c in chars), re.DOTALL)
        else:
            self.text = "".join(c for c in chars if c is not None)
            self.regex = None

    def at(self, value: str, pos: int) -> bool:
        """Whether the segment matches ``value`` at ``pos``."""
        if self.regex is None:
            return value.startswith(self.text or "", pos)
        return self.regex.match(value, pos) is not None

    def find(self, value: str, pos: int, end: int) -> int:
        """The first position >= ``pos`` where the segment matches within ``value[:end]``, or -1."""
        if self.regex is None:
            return value.find(self.text or "", pos, end)
        m = self.regex.search(value, pos, end)
        return -1 if m is None else m.start()


class LikePattern:
    """A CQL2 ``LIKE`` pattern (``%`` any characters, ``_`` one, ``\\`` escapes) matched without
    backtracking: the first segment at the start, the last at the end, the ones between leftmost in
    turn (taking the leftmost match of each never loses a match), so a value of length n costs at
    most n x (pattern length) character steps whatever the pattern."""

    def __init__(self, pattern: str, insensitive: bool = False):
        self.insensitive = insensitive
        if insensitive:
            pattern = pattern.lower()
        segments: list[list[str | None]] = [[]]
        escape = False
        for ch in pattern:
            if escape:
                segments[-1].append(ch)
                escape = False
            elif ch == "\\":
                escape = True
            elif ch == "%":
                segments.append([])
            elif ch == "_":
                segments[-1].append(None)
            else:
                segments[-1].append(ch)
        if escape:
            segments[-1].append("\\")  # a trailing backslash stands for itself
        first, *rest = [_Segment(s) for s in segments]
        # consecutive % are one: empty segments between them are dropped
        self.first = first
        self.middle = [s for s in rest[:-1] if s.length]
        self.last = rest[-1] if rest else None

    def matches(self, value: str) -> bool:
        if self.insensitive:
            value = value.lower()
        first, middle, last = self.first, self.middle, self.last
        if last is None:  # no %: the whole value
            return first.length == len(value) and first.at(value, 0)
        if not first.at(value, 0):
            return False
        pos, end = first.length, len(value) - last.length
        if end < pos:
            return False
        for segment in middle:
            found = segment.find(value, pos, end)
            if found < 0:
                return False
            pos = found + segment.length
        return last.at(value, end)


class _Evaluation:
    """One evaluation over a frame: each property's values are read (and NFC-normalised) once."""

    def __init__(self, frame: pd.DataFrame, types: dict[str, str]):
        self.frame = frame
        self.types = types
        self.n = len(frame)
        self.columns: dict[str, np.ndarray] = {}
        self.factorized: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def operand(self, node) -> tuple[np.ndarray, str]:
        """(values as an object array, None where missing; kind) of a property or literal."""
        if isinstance(node, Prop):
            if node.name not in self.types:
                raise Cql2Error(
                    f"filter: unknown property {node.name!r}; queryables are {', '.join(sorted(self.types))}"
                )
            kind = self.types[node.name]
            if node.name not in self.columns:
                self.columns[node.name] = self._column(node.name, kind)
            return self.columns[node.name], kind
        return np.full(self.n, node, dtype=object), _kind(node)

    def _column(self, name: str, kind: str) -> np.ndarray:
        if name not in self.frame.columns:
            return np.full(self.n, None, dtype=object)
        series = self.frame[name].astype(object)
        values = np.asarray(series.where(series.notna(), None), dtype=object)
        if kind == "string":
            values = np.array(
                [unicodedata.normalize("NFC", v) if isinstance(v, str) else v for v in values], dtype=object
            )
        return values

    def mask(self, node) -> pd.arrays.BooleanArray:
        n = self.n
        kind = node[0]
        if kind == "and":
            return self.mask(node[1]) & self.mask(node[2])
        if kind == "or":
            return self.mask(node[1]) | self.mask(node[2])
        if kind == "not":
            return ~self.mask(node[1])
        if kind == "bool":
            return _kleene(np.full(n, node[1]), np.ones(n, dtype=bool))
        if kind == "isnull":
            values, _ = self.operand(node[1])
            return _kleene(pd.isna(values), np.ones(n, dtype=bool))
        if kind == "cmp":
            return self.compare(node[1], node[2], node[3])
        if kind == "like":
            return self.like(node)
        if kind == "between":
            return self.compare(">=", node[1], node[2]) & self.compare("<=", node[1], node[3])
        if kind == "in":
            return self.isin(node[1], node[2])
        raise Cql2Error(f"filter: unsupported expression {kind!r}")  # pragma: no cover

    def compare(self, op: str, lnode, rnode) -> pd.arrays.BooleanArray:
        left, lk = self.operand(lnode)
        right, rk = self.operand(rnode)
        where = f"{_name(lnode)} {op} {_name(rnode)}"
        if _numbers(lk, rk, where):
            left, right = _as_float(left), _as_float(right)
        if op not in ("=", "<>") and "boolean" in (lk, rk):
            raise Cql2Error(f"filter: {where}: booleans compare only with = and <>")
        known = ~(pd.isna(left) | pd.isna(right))
        result = np.zeros(self.n, dtype=bool)
        if known.any():
            result[known] = np.asarray(_OPS[op](left[known], right[known]), dtype=bool)
        return _kleene(result, known)

    def isin(self, lnode, values: list) -> pd.arrays.BooleanArray:
        """``IN``: one hashed membership test for the literals (a property in the list is an OR of ``=``)."""
        literals = [v for v in values if not isinstance(v, Prop)]
        mask = _kleene(np.zeros(self.n, dtype=bool), np.ones(self.n, dtype=bool))
        if literals:
            left, lk = self.operand(lnode)
            as_float = False
            for value in literals:
                as_float |= _numbers(lk, _kind(value), f"{_name(lnode)} = {_name(value)}")
            if as_float:
                left = _as_float(left)
                literals = [float(v) for v in literals]
            known = ~pd.isna(left)
            found = np.zeros(self.n, dtype=bool)
            if known.any():
                found[known] = pd.Series(left[known], dtype=object).isin(set(literals)).to_numpy(dtype=bool)
            mask = _kleene(found, known)
        for value in values:
            if isinstance(value, Prop):
                mask = mask | self.compare("=", lnode, value)
        return mask

    def like(self, node) -> pd.arrays.BooleanArray:
        values, vk = self.operand(node[1])
        if vk != "string" or not isinstance(node[2], str):
            raise Cql2Error(
                f"filter: LIKE needs a string property and a 'pattern', not {_name(node[1])} and {_name(node[2])}"
            )
        pattern = LikePattern(node[2], node[3])
        known, codes, distinct = self._distinct(node[1], values)
        found = np.zeros(self.n, dtype=bool)
        if len(distinct):  # each distinct value is matched once
            found[known] = np.array([pattern.matches(v) for v in distinct], dtype=bool)[codes]
        return _kleene(found, known)

    def _distinct(self, node, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(known, codes of the known values, their distinct values), once per property."""
        key = node.name if isinstance(node, Prop) else None
        if key is None or key not in self.factorized:
            known = ~pd.isna(values)
            codes, distinct = pd.factorize(values[known])
            found = (known, codes, np.asarray(distinct, dtype=object))
            if key is None:
                return found
            self.factorized[key] = found
        return self.factorized[key]


def evaluate(node, frame: pd.DataFrame, types: dict[str, str]) -> pd.arrays.BooleanArray:
    """The Kleene boolean mask of ``node`` over the rows of ``frame``; ``types`` maps each
    queryable property to ``string``, ``number``, ``integer`` or ``boolean``."""
    return _Evaluation(frame, types).mask(node)


def select(node, frame: pd.DataFrame, types: dict[str, str]) -> np.ndarray:
    """Rows of ``frame`` the expression is true for (unknown is false), as a numpy bool array."""
    if node is None:
        return np.ones(len(frame), dtype=bool)
    return np.asarray(evaluate(node, frame, types).fillna(False), dtype=bool)
