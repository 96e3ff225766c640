"""Match the (province, district, commune) names of a status row to commune-level units of the
boundary vintage in force in the row's year.

Rules, in order:
- Names are compared Unicode-NFC and case-insensitively; a name written with its diacritics is
  first looked up exactly ("Phương Thạnh" is the commune Phương Thạnh, not "Phường Thạnh"), and
  only when that finds nothing tone- and diacritic-insensitively ("Phu Hung", "Nhon Thanh").
- Type prefixes ("Xã", "P.", "TT.", "TP.", "Thành phố", ...) are ignored for the lookup; the
  sheet's name is compared both without its prefix against units' short names and whole against
  units' full names, so ASCII "Phuong Thanh" finds both "Xã Phương Thạnh" and "Phường Thạnh"
  (ambiguous, never a guess) where both exist.
- The lookup is parent-aware: province first, then the district within it, then the commune
  within the district. If several units match, the sheet's type prefix narrows them ("Thị xã
  Hồng Ngự" vs "Huyện Hồng Ngự"); if several remain the row is ambiguous, if none unmatched.
- A district that matches several units by name but none of the sheet's type (it was
  reclassified, e.g. "Thành phố Hồng Ngự" is "Thị xã Hồng Ngự" in the 2009 boundaries) is
  searched in all of them; a district that matches nothing (or the result of that search being
  empty) falls back to the whole province. A blank district searches the whole province, a
  blank province the whole country. Every fallback and type change is returned as a note.
- Flagged polygons are never matched; only commune-level units are.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from geo_ntm.domain import AdminLevel, Unit, UnitType, Vintage
from geo_ntm.errors import NotFoundError
from geo_ntm.store import Store
from geo_ntm.text import fold, nfc, split_prefix

CLOSEST_CANDIDATES = 3
_CLOSEST_CUTOFF = 0.5
#: Folded spellings of province names that no prefix rule can reach.
_PROVINCE_ALIASES = {"hcm": "ho chi minh", "tphcm": "ho chi minh"}


@dataclass(frozen=True)
class Match:
    """The outcome for one row: a unit, or why not (``problem`` is "unmatched" or "ambiguous")."""

    unit: Unit | None
    problem: str | None = None
    reason: str | None = None
    candidates: tuple[dict, ...] = ()
    note: str | None = None  # a fallback or type change the reader should know about
    vintage: str | None = None
    district: str | None = None  # name of the matched unit's district


def _exact(text: str | None) -> str:
    return (nfc(text) or "").casefold()


def _folded(text: str | None) -> str:
    """Tone-insensitive key; numbers lose leading zeros ("Phường 01" = "Phường 1")."""
    return " ".join(t.lstrip("0") or "0" if t.isdigit() else t for t in fold(text).split())


def _unique(units: Iterable[Unit]) -> list[Unit]:
    return list({u.unit_id: u for u in units}.values())


class _NameIndex:
    """The units of one scope, looked up by name."""

    def __init__(self, units: list[Unit], aliases: dict[str, str] | None = None):
        self.aliases = aliases or {}
        self.exact: dict[str, list[Unit]] = defaultdict(list)
        self.folded: dict[str, list[Unit]] = defaultdict(list)
        self.short: dict[str, list[Unit]] = defaultdict(list)  # folded short name -> units, for difflib
        for u in units:
            for key in {_exact(u.name_short), _exact(u.name)}:
                self.exact[key].append(u)
            for key in {_folded(u.name_short), _folded(u.name)}:
                self.folded[key].append(u)
            self.short[_folded(u.name_short)].append(u)

    def find(self, text: str) -> list[Unit]:
        """Units named ``text``: exact spelling first, then tone-insensitive; narrowed by the
        sheet's type prefix when several match."""
        types, bare = split_prefix(text)
        found: list[Unit] = []
        for table, key in ((self.exact, _exact), (self.folded, _folded)):
            keys = {key(bare), key(text)}
            keys |= {self.aliases[k] for k in keys if k in self.aliases}
            found = _unique(u for k in keys for u in table.get(k, ()))
            if found:
                break
        narrowed = [u for u in found if u.unit_type in types]
        return narrowed if len(found) > 1 and narrowed else found

    def closest(self, text: str) -> list[Unit]:
        """The units whose folded short names are closest to ``text`` (difflib)."""
        key = _folded(split_prefix(text)[1])
        names = difflib.get_close_matches(key, list(self.short), n=CLOSEST_CANDIDATES, cutoff=_CLOSEST_CUTOFF)
        return [u for name in names for u in self.short[name]][:CLOSEST_CANDIDATES]


class _VintageIndex:
    """The units of one vintage, grouped by scope; each scope's name index is built on first use."""

    def __init__(self, vintage: Vintage, units: list[Unit]):
        self.vintage = vintage
        self.by_code: dict[tuple[AdminLevel, str], Unit] = {}
        self._members: dict[tuple, list[Unit]] = defaultdict(list)
        for u in units:
            if u.flag is not None:
                continue
            self.by_code[(u.level, u.code)] = u
            if u.level is AdminLevel.PROVINCE:
                self._members[("provinces",)].append(u)
            elif u.level is AdminLevel.DISTRICT:
                self._members[("districts", None)].append(u)
                self._members[("districts", u.province_code)].append(u)
            else:
                self._members[("communes", None)].append(u)
                self._members[("communes", u.province_code)].append(u)
                self._members[("communes of", (u.district_code,))].append(u)
        self._indexes: dict[tuple, _NameIndex] = {}

    def _index(self, key: tuple) -> _NameIndex:
        if key not in self._indexes:
            if key[0] == "communes of" and key not in self._members:  # several districts
                self._members[key] = [u for code in key[1] for u in self._members.get(("communes of", (code,)), ())]
            aliases = _PROVINCE_ALIASES if key[0] == "provinces" else None
            self._indexes[key] = _NameIndex(self._members.get(key, []), aliases)
        return self._indexes[key]

    @property
    def provinces(self) -> _NameIndex:
        return self._index(("provinces",))

    def districts_in(self, province: Unit | None) -> _NameIndex:
        """Districts of a province, or of the whole country."""
        return self._index(("districts", province.code if province else None))

    def communes_in(self, province: Unit | None) -> _NameIndex:
        """Commune-level units of a province, or of the whole country."""
        return self._index(("communes", province.code if province else None))

    def communes_of(self, districts: list[Unit]) -> _NameIndex:
        """Commune-level units of one or several districts."""
        return self._index(("communes of", tuple(d.code for d in districts)))

    def district_name(self, unit: Unit) -> str | None:
        district = self.by_code.get((AdminLevel.DISTRICT, unit.district_code))
        return district.name if district else None

    def describe(self, unit: Unit) -> dict:
        """A candidate as the report shows it."""
        province = self.by_code.get((AdminLevel.PROVINCE, unit.province_code))
        return {"name": unit.name, "district": self.district_name(unit) if unit.level is AdminLevel.COMMUNE else None,
                "province": province.name if province and unit.level is not AdminLevel.PROVINCE else None,
                "code": unit.code}


def _names(units: list[Unit]) -> str:
    return ", ".join(sorted(u.name for u in units))


def _type_changed(text: str, unit: Unit) -> bool:
    types = split_prefix(text)[0]
    return bool(types) and unit.unit_type not in types


def _type_label(types: tuple[UnitType, ...]) -> str:
    return "/".join(t.label_vi.lower() for t in types)


class UnitMatcher:
    """Matches sheet names to units; indexes are built once per vintage and results cached."""

    def __init__(self, store: Store):
        self.store = store
        self._by_year: dict[int, _VintageIndex | str] = {}  # year -> index, or why there is none
        self._by_vintage: dict[int, _VintageIndex] = {}
        self._cache: dict[tuple, Match] = {}

    def _index(self, year: int) -> _VintageIndex | str:
        if year not in self._by_year:
            try:
                vintage = self.store.vintage_for_year(year)
            except NotFoundError as exc:
                self._by_year[year] = str(exc)
            else:
                if vintage.vintage_id not in self._by_vintage:
                    units = self.store.unit_records(vintage.vintage_id)
                    self._by_vintage[vintage.vintage_id] = _VintageIndex(vintage, units)
                self._by_year[year] = self._by_vintage[vintage.vintage_id]
        return self._by_year[year]

    def vintage_years(self) -> dict[str, list[int]]:
        """Which boundary vintage each year's rows were matched against."""
        used: dict[str, list[int]] = defaultdict(list)
        for year, index in sorted(self._by_year.items()):
            if isinstance(index, _VintageIndex):
                used[index.vintage.name].append(year)
        return dict(used)

    def match(self, year: int, province: str | None, district: str | None, commune: str) -> Match:
        """The commune-level unit these names denote in ``year``'s boundaries, or why not."""
        key = (year, province, district, commune)
        if key not in self._cache:
            index = self._index(year)
            self._cache[key] = (Match(None, "unmatched", index) if isinstance(index, str)
                                else _Lookup(index, province, district, commune).run())
        return self._cache[key]


@dataclass(frozen=True)
class _Scope:
    """Where a commune is looked for, and what the reader should be told if it is found there."""

    index: _NameIndex
    label: str
    note: str | None = None
    fallback: bool = False  # the district did not lead here by itself


class _Lookup:
    """One row's walk down the hierarchy: province, district, commune."""

    def __init__(self, index: _VintageIndex, province: str | None, district: str | None, commune: str):
        self.index = index
        self.province_text, self.district_text, self.commune_text = province, district, commune
        self.vintage = index.vintage.name

    def _fail(self, problem: str, reason: str, units: list[Unit]) -> Match:
        return Match(None, problem, reason, tuple(self.index.describe(u) for u in units), vintage=self.vintage)

    def run(self) -> Match:
        province = None
        if self.province_text:
            found = self.index.provinces.find(self.province_text)
            if len(found) > 1:
                return self._fail("ambiguous", f"province {self.province_text!r} matches several provinces", found)
            if not found:
                return self._fail("unmatched", f"province {self.province_text!r} not found in the {self.vintage} "
                                  "boundaries", self.index.provinces.closest(self.province_text))
            province = found[0]
        scopes = self._scopes(province)
        for scope in scopes:
            found = scope.index.find(self.commune_text)
            if found:
                break
        if len(found) > 1:
            return self._fail("ambiguous", f"commune {self.commune_text!r} matches several units in {scope.label}",
                              found)
        if not found:
            return self._fail("unmatched", f"commune {self.commune_text!r} not found in {scope.label}",
                              scope.index.closest(self.commune_text))
        unit = found[0]
        notes = []
        if scope.note:
            notes.append(scope.note + (f"; found in {self.index.district_name(unit)}" if scope.fallback else ""))
        if _type_changed(self.commune_text, unit):
            notes.append(f"commune {self.commune_text!r} is {unit.name} in the {self.vintage} boundaries "
                         "(type changed)")
        return Match(unit, note="; ".join(notes) or None, vintage=self.vintage,
                     district=self.index.district_name(unit))

    def _scopes(self, province: Unit | None) -> list[_Scope]:
        """The commune scopes to try, narrowest first."""
        label = province.name if province else "the whole country"
        text = self.district_text
        if not text:
            return [_Scope(self.index.communes_in(province), label)]
        districts = self.index.districts_in(province).find(text)
        if len(districts) == 1:
            changed = _type_changed(text, districts[0])
            note = (f"district {text!r} is {districts[0].name} in the {self.vintage} boundaries (type changed)"
                    if changed else None)
            return [_Scope(self.index.communes_of(districts), districts[0].name, note)]
        whole = self.index.communes_in(province)
        if districts:
            types = split_prefix(text)[0]
            no_type = (f", none of them a {_type_label(types)}"
                       if types and not any(d.unit_type in types for d in districts) else "")
            note = (f"district {text!r} matches {_names(districts)} by name{no_type} (renamed or reclassified "
                    f"since the {self.vintage} boundaries): communes searched in all of them")
            return [_Scope(self.index.communes_of(districts), _names(districts), note, True),
                    _Scope(whole, label, f"{note}, then in all of {label}", True)]
        note = (f"district {text!r} not found in {label} in the {self.vintage} boundaries: communes searched "
                f"in all of {label}")
        return [_Scope(whole, label, note, True)]
