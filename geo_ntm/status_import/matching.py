"""Match the (province, district, commune) names of a status row to units of the boundary vintage
in force in the row's year: communes, or districts and provinces (see "District and province rows").

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
- Xã only: under a framework that assesses communes (``applies_to = "commune"``), where wards
  and towns are not assessed (``Unit.assessed``), a name that still matches a xã and a thị
  trấn/phường ("Định An": Xã Định An and Thị trấn Định An in Huyện Trà Cú) goes to the only xã
  among them, with a note. Two xã of the name stay ambiguous.
- A district that matches several units by name but none of the sheet's type (it was
  reclassified, e.g. "Thành phố Hồng Ngự" is "Thị xã Hồng Ngự" in the 2009 boundaries) is
  searched in all of them. A district named with a type the vintage's only district of that
  name does not have ("Thị xã Duyên Hải", a thị xã formed from part of Huyện Duyên Hải after
  2009) is reported as not in the boundaries and searched there first, never taken for it
  silently. A commune not found in the district(s) its row names is searched in the whole
  province (for one named district: only when no lineage event explains the name, see below):
  found once there, it is matched with the note "named under district X, the boundaries have
  it in Y" (a commune moved between districts, "huyện Duyên Hải, Đôn Xuân" that the 2009
  boundaries have in Huyện Trà Cú); a district that matches nothing searches the whole province
  at once. A blank district searches the whole province, a blank province the
  whole country. Every fallback and type change is returned as a note.
- District and province rows. A row's unit is a district when the file names districts (no
  commune column: ``tier``), when its name carries a district type only ("Huyện Chợ Lách",
  "Thị xã ...", "TP. ...") or when it reports under a framework assessing districts
  (``applies_to = "district"``) with a name of no type; a province likewise ("Tỉnh Bến Tre", a
  framework assessing provinces). Such a row is matched to a district (province) of the row's
  province by the same name rules, never to a commune of that name ("Huyện Chợ Lách" is the
  district, never Thị trấn Chợ Lách); "Thành phố X" is a district unless the framework assesses
  provinces. A unit of one tier reported under a framework of another is a ``tier`` problem (an
  invalid row). District and province names are not followed through lineage.
- Flagged polygons are never matched.
- A unit may be named by its code instead of its name (the 5-digit GSO codes of the 2025 units,
  leading zeros optional: "6895" is 06895), within the same scopes.

Names of other vintages, through lineage. A commune not found in the vintage in force in the
row's year (31 December) is looked for, by the same rules, in every other stored vintage (each
indexed once per import). Where it is found, the stored lineage events are followed by code, in
date order, from that vintage to the row's vintage: forward (an old name after a change) through
the events effective after the found vintage starts, up to the start of the row's vintage (that
is, every change up to 31 December of the row's year that the row's vintage shows), or backward
(a new name used for a year before the change) through the events effective after the row's
vintage starts, up to the start of the found vintage, latest first.

- A rename, type change or transfer of a whole unit (one to one) keeps the unit: the row is
  matched to its successor (forward) or predecessor (backward) in the row's vintage, with a note
  naming each change, its date and its legal act. Backward mapping is as safe as forward: it is
  the same unit under its earlier name.
- A merge where the unit survives (its code is the merged unit's code, e.g. Xã Bình Phú absorbing
  Xã Mỹ Thành) is followed forward with a note (the status of the survivor before the merger).
- A merge the unit disappears into (absorbed, or merged into a new unit: Phường 1, 2, 3 into
  Phường An Hội; Xã Mỹ Thành into Xã Bình Phú) is never mapped: a status of a former part is not
  the status of the merged unit. The row is unmatched; the reason tells when, into what and by
  which act it was merged, and the merged unit (followed on to the row's vintage) is the
  candidate. The same holds backward for a unit formed by a merge, a split or a creation (the
  former parts are the candidates) and forward for a unit split up (the new units are).
- A unit that gives up part of its area to a created unit stays the same unit.
- Found in another vintage but not linked by any event (e.g. two boundary sources with their own
  codes, such as the 2009 communes and the units formed on 1 July 2025), or the events lead to a
  code the row's vintage gives to a unit of another name (codes are reused): unmatched, saying
  where the name was found. Without any event, the crosswalk of the two vintages (shared areas,
  ``geo_ntm.crosswalk``) names the communes of the row's vintage that hold the old commune's area
  (at least ``HINT_MIN_SHARE`` of it), largest share first, as the hint and the candidates
  ("Xã Nhơn Thạnh" of 2009 in a 2026 row: 97% of it lies in Phường Phú Khương): never a match,
  since a status of a former commune is not the status of the new unit.
- If several other vintages lead to different outcomes, the row is ambiguous; vintages whose
  unit no event links are ignored when another vintage is linked.
- Only when no vintage is linked is a commune not found in its one named district looked for
  in the rest of the province of the row's vintage (see above): a merged or moved unit is
  explained by its lineage, never taken for a namesake elsewhere in the province.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from geo_ntm.crosswalk import crosswalk
from geo_ntm.domain import TYPES_BY_LEVEL, AdminTier, EventKind, Framework, LineageEvent, Unit, UnitType, Vintage
from geo_ntm.errors import GeoNtmError, NotFoundError
from geo_ntm.store import Store
from geo_ntm.text import fold, nfc, split_prefix

CLOSEST_CANDIDATES = 3
_CLOSEST_CUTOFF = 0.5
#: Folded spellings of province names that no prefix rule can reach.
_PROVINCE_ALIASES = {"hcm": "ho chi minh", "tphcm": "ho chi minh"}
#: The smallest share of an old commune a crosswalk hint names a new unit for: smaller parts are
#: mostly border shifts between two sources (the 2009 outline is coarse), not territory moved.
HINT_MIN_SHARE = 0.05


@dataclass(frozen=True)
class Match:
    """The outcome for one row: a unit, or why not (``problem`` is "unmatched", "ambiguous" or
    "tier": a unit of one tier reported under a framework of another)."""

    unit: Unit | None
    problem: str | None = None
    reason: str | None = None
    candidates: tuple[dict, ...] = ()
    note: str | None = None  # a fallback or type change the reader should know about
    vintage: str | None = None
    district: str | None = None  # name of the matched unit's district
    found_in: str | None = None  # the other vintage the name was found in (see "through lineage")


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
        self.codes: dict[str, list[Unit]] = defaultdict(list)  # code without leading zeros -> units
        for u in units:
            self.codes[u.code.lstrip("0")].append(u)
            for key in {_exact(u.name_short), _exact(u.name)}:
                self.exact[key].append(u)
            for key in {_folded(u.name_short), _folded(u.name)}:
                self.folded[key].append(u)
            self.short[_folded(u.name_short)].append(u)

    def find(self, text: str) -> list[Unit]:
        """Units named ``text``: exact spelling first, then tone-insensitive; narrowed by the
        sheet's type prefix when several match."""
        if text.strip().isdigit():  # a code (GSO codes lose their leading zeros in spreadsheets)
            return list(self.codes.get(text.strip().lstrip("0"), ()))
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
        self.by_code: dict[tuple[AdminTier, str], Unit] = {}
        self._members: dict[tuple, list[Unit]] = defaultdict(list)
        for u in units:
            if u.flag is not None:
                continue
            self.by_code[(u.level, u.code)] = u
            if u.level is AdminTier.PROVINCE:
                self._members[("provinces",)].append(u)
            elif u.level is AdminTier.DISTRICT:
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

    def unit(self, level: AdminTier, code: str | None) -> Unit | None:
        """The unit of ``level`` coded ``code``; None when there is none (or no code)."""
        return self.by_code.get((level, code)) if code is not None else None

    def district_name(self, unit: Unit) -> str | None:
        district = self.unit(AdminTier.DISTRICT, unit.district_code)
        return district.name if district else None

    def describe(self, unit: Unit) -> dict:
        """A candidate as the report shows it."""
        province = self.unit(AdminTier.PROVINCE, unit.province_code)
        return {
            "name": unit.name,
            "district": self.district_name(unit) if unit.level is AdminTier.COMMUNE else None,
            "province": province.name if province and unit.level is not AdminTier.PROVINCE else None,
            "code": unit.code,
        }


def _shown(unit: Unit) -> str:
    """The unit's name for a message; its code when it has none (a unit may be stored without one)."""
    return unit.name or unit.code


def _names(units: list[Unit]) -> str:
    return ", ".join(sorted(_shown(u) for u in units))


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
        self._vintages: list[Vintage] | None = None  # all stored vintages, read on first need
        self._lineage: _Lineage | None = None
        self._shares: dict[tuple, list[tuple[str, float]]] = {}  # crosswalk hints, see crosswalk_shares

    def _vintage_index(self, vintage: Vintage) -> _VintageIndex:
        if vintage.vintage_id not in self._by_vintage:
            units = self.store.unit_records(vintage.vintage_id)
            self._by_vintage[vintage.vintage_id] = _VintageIndex(vintage, units)
        return self._by_vintage[vintage.vintage_id]

    def _index(self, year: int) -> _VintageIndex | str:
        if year not in self._by_year:
            try:
                vintage = self.store.vintage_for_year(year)
            except NotFoundError as exc:
                self._by_year[year] = str(exc)
            else:
                self._by_year[year] = self._vintage_index(vintage)
        return self._by_year[year]

    def vintage_years(self) -> dict[str, list[int]]:
        """Which boundary vintage each year's rows were matched against."""
        used: dict[str, list[int]] = defaultdict(list)
        for year, index in sorted(self._by_year.items()):
            if isinstance(index, _VintageIndex):
                used[index.vintage.name].append(year)
        return dict(used)

    def match(
        self,
        year: int,
        province: str | None,
        district: str | None,
        commune: str,
        framework: Framework | None = None,
        tier: AdminTier = AdminTier.COMMUNE,
    ) -> Match:
        """The unit these names denote in ``year``'s boundaries, or why not; ``commune`` is the
        row's unit name, the row's ``framework`` (None: not known) says which units it assesses and
        ``tier`` which units the file names (a file without a commune column names districts or
        provinces; see the module docstring)."""
        key = (year, province, district, commune, framework.framework_id if framework else None, tier)
        if key not in self._cache:
            index = self._index(year)
            if isinstance(index, str):
                self._cache[key] = Match(None, "unmatched", index)
            else:
                lookup = _Lookup(index, province, district, commune, framework, tier=tier)
                match = lookup.run()
                if match.problem == "unmatched" and lookup.row_tier() is AdminTier.COMMUNE:
                    match = self._through_lineage(index, match, province, district, commune, framework)
                self._cache[key] = match
        return self._cache[key]

    # -- names of other vintages, through lineage ----------------------------------------------

    def _other_vintages(self, index: _VintageIndex) -> list[_VintageIndex]:
        """The other stored vintages, nearest to ``index``'s first (earlier first at equal distance)."""
        if self._vintages is None:
            self._vintages = self.store.vintages()
        ids = [v.vintage_id for v in self._vintages]
        here = ids.index(index.vintage.vintage_id) if index.vintage.vintage_id in ids else 0
        order = sorted(
            (i for i in range(len(ids)) if ids[i] != index.vintage.vintage_id), key=lambda i: (abs(i - here), i)
        )
        return [self._vintage_index(self._vintages[i]) for i in order]

    def _through_lineage(
        self,
        index: _VintageIndex,
        unmatched: Match,
        province: str | None,
        district: str | None,
        commune: str,
        framework: Framework | None,
    ) -> Match:
        """A commune not found in the row's vintage: look for it in the other vintages and follow
        the lineage from there (see the module docstring); ``unmatched`` if found nowhere."""
        traces = []
        for other in self._other_vintages(index):
            found = _Lookup(other, province, district, commune, framework, closest=False).run()
            if found.unit is not None:
                if self._lineage is None:
                    self._lineage = _Lineage(self.store.lineage_events())
                traces.append(_Tracer(self, other, found, index, commune).trace())
        linked = [t for t in traces if t.linked]
        if not linked:  # no lineage explains the name: a commune named under another district?
            across = _Lookup(index, province, district, commune, framework, across=True).run()
            if across.problem != "unmatched" or not traces:
                return across
            linked = traces[:1]
        by_outcome: dict[tuple, _Trace] = {}
        for trace in sorted(linked, key=lambda t: t.noted):  # explained by a plain find, else the nearest
            by_outcome.setdefault(trace.key, trace)
        outcomes = list(by_outcome.values())
        if len(outcomes) > 1:
            reason = (
                f"{unmatched.reason}; the name is found in other vintages and leads to different units: "
                + " | ".join(f"{t.found_in.vintage.name}: {t.text}" for t in outcomes)
            )
            candidates = list({c["code"]: c for t in outcomes for c in t.candidates}.values())
            return Match(None, "ambiguous", reason, tuple(candidates), vintage=index.vintage.name)
        trace = outcomes[0]
        if trace.target is not None:
            return Match(
                trace.target,
                note=trace.text,
                vintage=index.vintage.name,
                district=index.district_name(trace.target),
                found_in=trace.found_in.vintage.name,
            )
        return Match(
            None,
            "unmatched",
            f"{unmatched.reason}; {trace.text}",
            trace.candidates or unmatched.candidates,
            vintage=index.vintage.name,
            found_in=trace.found_in.vintage.name,
        )

    def crosswalk_shares(self, found_in: Vintage, unit: Unit, row_vintage: Vintage) -> list[tuple[str, float]]:
        """The communes of ``row_vintage`` holding at least ``HINT_MIN_SHARE`` of commune ``unit`` of
        ``found_in`` (by the crosswalk of the two), largest share of it first: (code, share)."""
        key = (found_in.vintage_id, unit.code, row_vintage.vintage_id)
        if key not in self._shares:
            old = self.store.units(found_in.vintage_id, AdminTier.COMMUNE, codes=[unit.code])
            new = self.store.units(row_vintage.vintage_id, AdminTier.COMMUNE, bbox=tuple(old.total_bounds))
            pairs = crosswalk(old, new, population_column=None).pairs if len(old) and len(new) else None
            self._shares[key] = (
                []
                if pairs is None
                else [
                    (str(c), float(v))
                    for c, v in zip(pairs["new_code"], pairs["share_of_old"], strict=True)
                    if v >= HINT_MIN_SHARE
                ]
            )
        return self._shares[key]

    def _name_at(self, level: AdminTier, code: str, day: dt.date) -> str:
        """The name of unit ``code`` in the vintage in force on ``day``, else the code."""
        vintage = next((v for v in self._vintages or () if v.covers(day)), None)
        unit = self._vintage_index(vintage).by_code.get((level, code)) if vintage else None
        return unit.name if unit and unit.name else code


@dataclass(frozen=True)
class _SearchArea:
    """Where a commune is looked for, and what the reader should be told if it is found there."""

    index: _NameIndex
    label: str
    note: str | None = None
    found_in: str | None = None  # the district did not lead here by itself: the words before the one it is in


class _Lookup:
    """One row's walk down the hierarchy: province, district, commune."""

    def __init__(
        self,
        index: _VintageIndex,
        province: str | None,
        district: str | None,
        commune: str,
        framework: Framework | None = None,
        *,
        closest: bool = True,
        across: bool = False,
        tier: AdminTier = AdminTier.COMMUNE,
    ):
        self.index = index
        self.province_text, self.district_text, self.commune_text = province, district, commune
        self.framework = framework
        self.tier = tier  # the tier of the file's unit column
        self.vintage = index.vintage.name
        self.closest = closest  # whether an unmatched name gets the closest names as candidates
        self.across = across  # whether a commune not in its one named district is looked for in the province

    def _fail(self, problem: str, reason: str, units: list[Unit]) -> Match:
        return Match(None, problem, reason, tuple(self.index.describe(u) for u in units), vintage=self.vintage)

    def _near(self, index: _NameIndex, text: str) -> list[Unit]:
        return index.closest(text) if self.closest else []

    def run(self) -> Match:
        tier = self.row_tier()
        fw = self.framework
        if fw is not None and fw.applies_to is not tier:
            return self._fail(
                "tier",
                f"{self.commune_text!r} names a {tier.value}, but framework {fw.framework_id} assesses "
                f"{fw.applies_to.value}s: report it under a framework of its tier",
                [],
            )
        if tier is AdminTier.PROVINCE:
            return self._tier_unit(None, tier)
        province = None
        if self.province_text:
            found = self.index.provinces.find(self.province_text)
            if len(found) > 1:
                return self._fail("ambiguous", f"province {self.province_text!r} matches several provinces", found)
            if not found:
                return self._fail(
                    "unmatched",
                    f"province {self.province_text!r} not found in the {self.vintage} boundaries",
                    self._near(self.index.provinces, self.province_text),
                )
            province = found[0]
        if tier is AdminTier.DISTRICT:
            return self._tier_unit(province, tier)
        scopes = self._search_areas(province)
        for scope in scopes:
            found = scope.index.find(self.commune_text)
            if found:
                break
        first = scopes[0].label
        elsewhere = f"not found in {first}, and " if scope.label != first else ""
        notes = []
        if len(found) > 1:
            found, xa_only = self._xa_only(found, scope.label)
            if xa_only is None:
                return self._fail(
                    "ambiguous",
                    f"commune {self.commune_text!r} {elsewhere}matches several units in {scope.label}",
                    found,
                )
            notes.append(xa_only)
        if not found:
            near = self._near(scopes[0].index, self.commune_text) or self._near(scope.index, self.commune_text)
            nowhere = f" nor anywhere in {scope.label}" if scope.label != first else ""
            return self._fail("unmatched", f"commune {self.commune_text!r} not found in {first}{nowhere}", near)
        unit = found[0]
        if scope.note:
            notes.insert(
                0, scope.note + (f"{scope.found_in}{self.index.district_name(unit)}" if scope.found_in else "")
            )
        if _type_changed(self.commune_text, unit):
            notes.append(
                f"commune {self.commune_text!r} is {unit.name} in the {self.vintage} boundaries (type changed)"
            )
        return Match(unit, note="; ".join(notes) or None, vintage=self.vintage, district=self.index.district_name(unit))

    def _xa_only(self, found: list[Unit], label: str) -> tuple[list[Unit], str | None]:
        """Several units of one name: the only xã among them under a framework that assesses xã
        only, with the note that says so; else ``found`` and None."""
        xa = [u for u in found if u.assessed]
        if self.framework is None or self.framework.applies_to is not AdminTier.COMMUNE or len(xa) != 1:
            return found, None
        note = (
            f"commune {self.commune_text!r} names {_names(found)} in {label}; framework "
            f"{self.framework.framework_id} assesses xã only (wards and towns are not assessed): matched to the xã"
        )
        return xa, note

    def row_tier(self) -> AdminTier:
        """The tier of the row's unit: the file's when it names no communes, else the one the
        name's type prefix allows (the framework's among several), else the framework's, else
        commune (see the module docstring)."""
        if self.tier is not AdminTier.COMMUNE:
            return self.tier
        types = set(split_prefix(self.commune_text)[0])
        applies = self.framework.applies_to if self.framework else None
        if not types:
            return applies or AdminTier.COMMUNE
        allowed = [t for t in reversed(AdminTier) if types & set(TYPES_BY_LEVEL[t])]  # commune first
        return applies if applies in allowed else allowed[0]

    def _tier_unit(self, province: Unit | None, tier: AdminTier) -> Match:
        """A district of ``province`` (a province of the country) named by the row's unit name."""
        label = _shown(province) if province and tier is AdminTier.DISTRICT else "the whole country"
        index = self.index.districts_in(province) if tier is AdminTier.DISTRICT else self.index.provinces
        found = index.find(self.commune_text)
        if len(found) > 1:
            several = f"{tier.value} {self.commune_text!r} matches several units in {label}"
            return self._fail("ambiguous", several, found)
        if not found:
            return self._fail(
                "unmatched",
                f"{tier.value} {self.commune_text!r} not found in {label} in the {self.vintage} boundaries",
                self._near(index, self.commune_text),
            )
        unit = found[0]
        note = (
            f"{tier.value} {self.commune_text!r} is {unit.name} in the {self.vintage} boundaries (type changed)"
            if _type_changed(self.commune_text, unit)
            else None
        )
        return Match(unit, note=note, vintage=self.vintage)

    def _search_areas(self, province: Unit | None) -> list[_SearchArea]:
        """The commune scopes to try, narrowest first."""
        label = _shown(province) if province else "the whole country"
        text = self.district_text
        whole = self.index.communes_in(province)
        if not text:
            return [_SearchArea(whole, label)]
        districts = self.index.districts_in(province).find(text)
        if len(districts) == 1:
            note = (
                f"district {text!r} is not in the {self.vintage} boundaries (a district formed or reclassified "
                f"later?): communes searched in {districts[0].name}, which bears its name"
                if _type_changed(text, districts[0])
                else None
            )
            named = _SearchArea(self.index.communes_of(districts), _shown(districts[0]), note)
            if not self.across:
                return [named]
            moved = f"commune {self.commune_text!r} is named under district {text!r}"
            across = f", the {self.vintage} boundaries have it in "
            return [named, _SearchArea(whole, label, f"{note}; {moved}" if note else moved, across)]
        if districts:
            types = split_prefix(text)[0]
            no_type = (
                f", none of them a {_type_label(types)}"
                if types and not any(d.unit_type in types for d in districts)
                else ""
            )
            note = (
                f"district {text!r} matches {_names(districts)} by name{no_type} (renamed or reclassified "
                f"since the {self.vintage} boundaries): communes searched in all of them"
            )
            return [
                _SearchArea(self.index.communes_of(districts), _names(districts), note, "; found in "),
                _SearchArea(whole, label, f"{note}, then in all of {label}", "; found in "),
            ]
        note = (
            f"district {text!r} not found in {label} in the {self.vintage} boundaries: communes searched "
            f"in all of {label}"
        )
        return [_SearchArea(whole, label, note, "; found in ")]


# -- lineage ---------------------------------------------------------------------------------------

_ONE_TO_ONE = (EventKind.RENAME, EventKind.TYPE_CHANGE, EventKind.TRANSFER)
_DAY = dt.timedelta(days=1)


class _Lineage:
    """The stored lineage events (in date order, file order within a day), indexed by the codes
    they take (``before``) and give (``after``); built once per matcher."""

    def __init__(self, events: list[LineageEvent]):
        self.events = events
        self.taking: dict[str, list[int]] = defaultdict(list)  # code -> positions of events, ascending
        self.giving: dict[str, list[int]] = defaultdict(list)
        for i, e in enumerate(events):
            for code in e.before:
                self.taking[code].append(i)
            for code in dict.fromkeys(e.after):
                self.giving[code].append(i)

    def next_taking(self, code: str, after: int, start: dt.date, end: dt.date) -> int | None:
        """The first event after position ``after``, effective in (start, end], that takes ``code``."""
        return next(
            (i for i in self.taking.get(code, ()) if i > after and start < self.events[i].effective_date <= end), None
        )

    def last_giving(self, code: str, before: int, start: dt.date, end: dt.date) -> int | None:
        """The last event before position ``before``, effective in (start, end], that gives ``code``."""
        return next(
            (
                i
                for i in reversed(self.giving.get(code, ()))
                if i < before and start < self.events[i].effective_date <= end
            ),
            None,
        )


@dataclass(frozen=True)
class _Trace:
    """Where a name was found outside the row's vintage and what its lineage leads to."""

    found_in: _VintageIndex
    text: str  # the explanation for the report
    key: tuple  # the outcome, to tell vintages that agree from those that do not
    linked: bool = True  # some lineage event links the found unit to the row's vintage
    target: Unit | None = None  # the unit of the row's vintage the row is matched to
    candidates: tuple[dict, ...] = ()
    noted: bool = False  # the name was found there only with a note (a fallback, a type change)


def _quoted(name: str | None, code: str) -> str:
    return f"{name!r} (code {code})" if name else f"code {code}"


class _Tracer:
    """Follows the lineage of one unit found in another vintage to the row's vintage."""

    def __init__(
        self, matcher: UnitMatcher, found_in: _VintageIndex, found: Match, row_index: _VintageIndex, text: str
    ):
        if found.unit is None or matcher._lineage is None:
            raise ValueError("a tracer follows a unit found in another vintage, once the lineage is read")
        self.matcher, self.lineage = matcher, matcher._lineage
        self.found_in, self.unit, self.row_index, self.text = found_in, found.unit, row_index, text
        self.where = f"; in the {found_in.vintage.name} boundaries: {found.note}" if found.note else ""

    def trace(self) -> _Trace:
        if self.found_in.vintage.valid_from < self.row_index.vintage.valid_from:
            return self._forward()
        return self._backward()

    # -- helpers ---------------------------------------------------------------------------------

    def _result(self, text: str, key: tuple, **kw) -> _Trace:
        return _Trace(self.found_in, text + self.where, key, noted=bool(self.where), **kw)

    def _name(self, code: str, day: dt.date, level: AdminTier = AdminTier.COMMUNE) -> str:
        return self.matcher._name_at(level, code, day)

    def _as_found(self) -> str:
        """'Bao Ninh' or 'Bao Ninh' (Xã Bảo Ninh, code 4070125)."""
        shown = "" if _exact(self.text) == _exact(self.unit.name) else f"{self.unit.name}, "
        return f"{self.text!r} ({shown}code {self.unit.code})"

    def _in_row_vintage(self, code: str, name: str | None) -> Unit | None:
        """The commune ``code`` of the row's vintage, if it bears ``name`` (codes are reused)."""
        unit = self.row_index.by_code.get((self.unit.level, code))
        if unit is None or (name and _folded(name) != _folded(unit.name)):
            return None
        return unit

    def _describe(self, code: str, name: str | None) -> dict:
        unit = self.row_index.by_code.get((self.unit.level, code))
        return (
            self.row_index.describe(unit)
            if unit
            else {"name": name or code, "district": None, "province": None, "code": code}
        )

    def _step(self, e: LineageEvent, old: str, new: str, new_name: str | None) -> str:
        """What event ``e`` did to unit ``old`` (which became ``new``, named ``new_name``)."""
        if e.kind is EventKind.TRANSFER:
            if e.parent_after is None:  # the lineage import refuses a transfer without one
                raise GeoNtmError(f"stored lineage transfer event at {e.where} has no parent_after")
            parent = self._name(e.parent_after, e.effective_date, AdminTier.DISTRICT)
            return f"moved to {parent}" + (f" (code {new})" if new != old else "") + f" by {e.legal_act}"
        if e.kind is EventKind.CREATE:
            made = ", ".join(_quoted(n, c) for c, n in zip(e.after, e.after_name, strict=True))
            return f"ceded part of its area to the new unit(s) {made} by {e.legal_act}"
        if e.kind is EventKind.MERGE:  # the survivor
            others = ", ".join(self._name(c, e.effective_date - _DAY) for c in e.before if c != old)
            renamed = new_name and _folded(new_name) != _folded(self._name(old, e.effective_date - _DAY))
            return (
                f"absorbed {others}"
                + (f" and became {_quoted(new_name, new)}" if renamed else "")
                + f" by {e.legal_act}"
            )
        verb = "renamed to" if e.kind is EventKind.RENAME else "changed type to"
        return f"{verb} {_quoted(new_name, new)} by {e.legal_act}"

    # -- forward: an old name ----------------------------------------------------------------------

    def _forward(self) -> _Trace:
        start, end = self.found_in.vintage.valid_from, self.row_index.vintage.valid_from
        code, name, position = self.unit.code, self.unit.name, -1
        steps: list[str] = []
        first: dt.date | None = None
        block: tuple[LineageEvent, str] | None = None  # the merge the unit disappeared in, and its code then
        while (taking := self.lineage.next_taking(code, position, start, end)) is not None:
            position = taking
            e = self.lineage.events[position]
            first = first or e.effective_date
            if e.kind is EventKind.SPLIT:
                if block is None:
                    return self._split_forward(e, steps)
                code, name = "", None  # the merged unit was split later: no single successor
                break
            if e.kind is EventKind.CREATE and code not in e.after:
                new, new_name = code, name
            elif e.kind is EventKind.MERGE:
                new, new_name = e.after[0], e.after_name[0] if e.after_name else name
            else:
                i = e.before.index(code)
                new = e.after[i] if i < len(e.after) else e.after[-1]
                new_name = e.after_name[i] if i < len(e.after_name) else name
            if e.kind is EventKind.MERGE and new != code and block is None:
                block = (e, code)
            elif block is None:
                steps.append(
                    self._step(e, code, new, new_name)
                    if not steps and e.effective_date == first
                    else f"on {e.effective_date} " + self._step(e, code, new, new_name)
                )
            code, name = new, new_name
        if first is None:
            return self._unlinked()
        target = self._in_row_vintage(code, name)
        lead = f"{self._as_found()} is the name before {first}"
        if block:
            return self._merged_forward(block, steps, lead, target)
        if target is None:
            return self._lost(lead, steps, code, name)
        text = "; ".join([lead, *steps, f"matched to {target.name} ({self.row_index.district_name(target)})"])
        return self._result(
            text, ("unit", target.unit_id), target=target, candidates=(self.row_index.describe(target),)
        )

    def _merged_forward(
        self, block: tuple[LineageEvent, str], steps: list[str], lead: str, target: Unit | None
    ) -> _Trace:
        """The unit disappeared in the merge ``block``; ``target`` is the merged unit followed on to
        the row's vintage, if it is there."""
        e, old = block
        day = e.effective_date - _DAY
        merged_name = e.after_name[0] if e.after_name else None
        others = [self._name(c, day) for c in e.before if c not in (old, e.after[0])]
        into = (
            f"merged with {', '.join(others)} into " if e.after[0] not in e.before and others else "merged into "
        ) + f"{merged_name or e.after[0]} ({e.after[0]})"
        merged = f"existed until {e.effective_date}, when it was {into} by {e.legal_act}"
        successor = target.name if target else (merged_name or e.after[0])
        text = "; ".join([lead, *steps, f"it {merged}"]) if steps else f"{self._as_found()} {merged}"
        text += (
            "; a status of a former part is not the status of the merged unit: report it for the year "
            f"before the merger or for {successor}"
        )
        candidate = self.row_index.describe(target) if target else self._describe(e.after[0], merged_name)
        return self._result(text, ("merged", e.event_id, e.effective_date), candidates=(candidate,))

    def _split_forward(self, e: LineageEvent, steps: list[str]) -> _Trace:
        new = ", ".join(_quoted(n, c) for c, n in zip(e.after, e.after_name, strict=True))
        split = f"existed until {e.effective_date}, when it was split into {new} by {e.legal_act}"
        lead = f"{self._as_found()} is the name before {e.effective_date}"
        text = "; ".join([lead, *steps, f"it {split}"]) if steps else f"{self._as_found()} {split}"
        text += "; a status of the former whole is not the status of a part: report it for each new unit"
        names = dict(zip(e.after, e.after_name, strict=True))
        candidates = tuple(self._describe(c, names.get(c)) for c in e.after)
        return self._result(text, ("split", e.event_id, e.effective_date), candidates=candidates)

    # -- backward: a new name used for a year before the change -------------------------------------

    def _backward(self) -> _Trace:
        start, end = self.row_index.vintage.valid_from, self.found_in.vintage.valid_from
        code, position = self.unit.code, len(self.lineage.events)
        changes: list[tuple[LineageEvent, str, str]] = []  # (event, code before, code after), latest first
        while (giving := self.lineage.last_giving(code, position, start, end)) is not None:
            position = giving
            e = self.lineage.events[position]
            if e.kind not in _ONE_TO_ONE:  # a unit that only ceded area to a created one is not given by it
                return self._formed(e, code, changes)
            old = e.before[e.after.index(code)]
            changes.append((e, old, code))
            code = old
        if not changes:
            return self._unlinked()
        last = changes[0][0].effective_date
        target = self._in_row_vintage(code, self._name(code, changes[-1][0].effective_date - _DAY))
        lead = f"{self._as_found()} is the name from {last}"
        steps = []
        for e, old, new in reversed(changes):
            before = self._name(old, e.effective_date - _DAY)
            after = e.after_name[e.after.index(new)] if e.after_name else self._name(new, e.effective_date)
            steps.append(f"on {e.effective_date} {before} " + self._step(e, old, new, after))
        if target is None:
            return self._lost(lead, steps, code, None)
        matched = f"the same unit: matched to {target.name} ({self.row_index.district_name(target)})"
        text = "; ".join([lead, *steps, matched])
        return self._result(
            text, ("unit", target.unit_id), target=target, candidates=(self.row_index.describe(target),)
        )

    def _formed(self, e: LineageEvent, code: str, changes: list) -> _Trace:
        """The unit (``code`` then) was made on ``e``'s date by a merge, split or creation."""
        day = e.effective_date - _DAY
        parts = ", ".join(f"{self._name(c, day)} ({c})" for c in e.before)
        how = {EventKind.MERGE: f"formed by merging {parts}", EventKind.SPLIT: f"formed by splitting {parts}"}.get(
            e.kind, f"created from parts of {parts}" if e.before else "created"
        )
        text = f"{self._as_found()} exists only from {e.effective_date}, when it was {how} by {e.legal_act}"
        if changes:
            text += "; later " + "; ".join(
                f"on {c.effective_date} " + self._step(c, old, new, self._name(new, c.effective_date))
                for c, old, new in reversed(changes)
            )
        text += (
            "; a status of the merged unit is not the status of a former part"
            if e.kind is EventKind.MERGE
            else "; a status of a new unit is not the status of the unit(s) it came from"
        ) + f": report it for a year from {e.effective_date} on, or for the former units"
        candidates = tuple(self._describe(c, self._name(c, day)) for c in e.before)
        return self._result(text, ("formed", e.event_id, e.effective_date), candidates=candidates)

    # -- no way through ------------------------------------------------------------------------------

    def _unlinked(self) -> _Trace:
        text = (
            f"found in vintage {self.found_in.vintage.name} as {self.unit.name} ({self.unit.code}), but no "
            f"lineage event links it to the {self.row_index.vintage.name} boundaries"
        )
        shares = []
        if self.unit.level is AdminTier.COMMUNE:
            shares = self.matcher.crosswalk_shares(self.found_in.vintage, self.unit, self.row_index.vintage)
        if shares:
            start = self.row_index.vintage.valid_from
            text += (
                "; by the crosswalk of the two boundaries its area lies in "
                + ", ".join(f"{self._name(c, start)} (code {c}, {v:.0%})" for c, v in shares)
                + ": a status of a former commune is not the status of the new unit; report it for the new unit"
            )
        return self._result(
            text,
            ("unlinked", self.found_in.vintage.vintage_id, self.unit.code),
            linked=False,
            candidates=tuple(self._describe(c, None) for c, _ in shares),
        )

    def _lost(self, lead: str, steps: list[str], code: str, name: str | None) -> _Trace:
        unit = self.row_index.by_code.get((self.unit.level, code))
        there = (
            f"which the {self.row_index.vintage.name} boundaries give to {unit.name}"
            if unit
            else f"which is not in the {self.row_index.vintage.name} boundaries"
        )
        text = "; ".join([lead, *steps, f"the lineage leads to {_quoted(name, code)}, {there}: not matched"])
        return self._result(text, ("lost", code))
