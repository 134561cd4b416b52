"""The district directory: Shanghai's districts, their offices and their places, loaded from data.

``load_directory()`` reads transfers/data/shanghai.yaml (or a given file) in three passes: YAML
with line numbers, the pydantic shape (transfers/directory_spec.py), then the rules a shape cannot
say. Every problem is reported with its file and line, and nothing half-loads:

- every district has all four office kinds (``OfficeKind``), each with known opening hours;
- an endpoint is used once in the whole city;
- a place (街道/镇/乡) is in one district only;
- a name by which an address is recognised (a district's short name, a place without its suffix,
  an alias) that points to two districts must be declared under ``shared_names``, which makes it
  ambiguous on its own (虹桥: 长宁区's 虹桥街道, 闵行区's 虹桥镇).

Opening hours use ivr/hours.py's schedules (statutory holidays closed, make-up working days open).
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ivr.hours import Schedule, parse_schedule
from ivr.yaml_lines import DataFileError, Lines, Problem, compose, line_of
from transfers.directory_spec import DirectorySpec, DistrictSpec

SHANGHAI = Path(__file__).parent / "data" / "shanghai.yaml"
MAX_DIRECTORY_BYTES = 1_000_000
PLACE_SUFFIXES = ("街道", "镇", "乡")
MIN_BARE_NAME = 2
"""A place name without its suffix is recognised only from two characters on (not 唐, 堡, 庙)."""


class OfficeKind(enum.StrEnum):
    SOCIAL_INSURANCE_WINDOW = "social_insurance_window"
    EMPLOYMENT_CENTRE = "employment_centre"
    INSPECTION_BRIGADE = "inspection_brigade"
    DISPUTE_ARBITRATION = "dispute_arbitration"


class PlaceKind(enum.StrEnum):
    STREET = "street"  # 街道
    TOWN = "town"  # 镇
    TOWNSHIP = "township"  # 乡


@dataclass(frozen=True)
class Office:
    district_id: str
    kind: OfficeKind
    name: str
    endpoint: str
    """The PJSIP endpoint the window's phone registers as."""
    hours: Schedule
    webhook_url: str | None = None


@dataclass(frozen=True)
class Place:
    name: str
    kind: PlaceKind
    district_id: str


@dataclass(frozen=True)
class District:
    id: str
    name: str
    short: str
    former_names: tuple[str, ...]
    offices: tuple[Office, ...]
    places: tuple[Place, ...]

    def office(self, kind: OfficeKind) -> Office:
        for office in self.offices:
            if office.kind is kind:
                return office
        raise KeyError(f"{self.name} has no {kind}")  # pragma: no cover - checked at load


class TermKind(enum.StrEnum):
    DISTRICT = "district"
    """A district's name, short name or former name (卢湾区 is now part of 黄浦区)."""
    PLACE = "place"
    """A 街道, 镇 or 乡, with or without its suffix, or an alias."""


@dataclass(frozen=True)
class Term:
    """A name that places an address: ``districts`` has one id, or several for a shared name."""

    text: str
    districts: frozenset[str]
    kind: TermKind
    what: str
    """What the name is: the district's name, a place's full name, 'short name of 长宁区'..."""


@dataclass(frozen=True)
class Directory:
    districts: tuple[District, ...]
    terms: tuple[Term, ...]

    def district(self, district_id: str) -> District:
        for district in self.districts:
            if district.id == district_id:
                return district
        raise KeyError(f"no district {district_id!r}")

    def office(self, district_id: str, kind: OfficeKind) -> Office:
        return self.district(district_id).office(kind)

    def office_by_endpoint(self, endpoint: str) -> Office | None:
        for district in self.districts:
            for office in district.offices:
                if office.endpoint == endpoint:
                    return office
        return None


def load_directory(path: Path = SHANGHAI) -> Directory:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError([Problem(str(path), 0, f"cannot read the directory: {exc}")]) from exc
    return load_directory_text(text, str(path))


def load_directory_text(text: str, source: str) -> Directory:
    if len(text.encode()) > MAX_DIRECTORY_BYTES:
        raise DataFileError([Problem(source, 0, f"over {MAX_DIRECTORY_BYTES} bytes")])
    data, lines = compose(text, source)
    try:
        spec = DirectorySpec.model_validate(data)
    except ValidationError as exc:
        problems = [_shape_problem(source, lines, error) for error in exc.errors()]
        raise DataFileError(problems) from exc
    checker = _Checker(source, lines)
    directory = checker.build(spec)
    if checker.problems:
        raise DataFileError(checker.problems)
    return directory


def _shape_problem(source: str, lines: Lines, error: Any) -> Problem:
    location = tuple(str(part) for part in error["loc"])
    where = ".".join(location) or "the directory"
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown key (check its spelling)"
    return Problem(source, line_of(lines, location), f"{where}: {message}")


class _Checker:
    """Builds the directory while collecting every rule broken, with its line."""

    def __init__(self, source: str, lines: Lines) -> None:
        self.source, self.lines = source, lines
        self.problems: list[Problem] = []

    def problem(self, where: tuple[str, ...], message: str) -> None:
        self.problems.append(Problem(self.source, line_of(self.lines, where), message))

    def build(self, spec: DirectorySpec) -> Directory:
        schedules = self._schedules(spec.schedules)
        districts = tuple(
            self._district(did, raw, schedules) for did, raw in spec.districts.items()
        )
        self._unique_endpoints(districts)
        self._unique_places(districts)
        terms = self._terms(spec, districts)
        return Directory(districts, terms)

    def _schedules(self, raw: Mapping[str, Mapping[str, Any]]) -> dict[str, Schedule]:
        schedules = {}
        for name, entry in raw.items():
            try:
                schedules[name] = parse_schedule(name, entry)
            except ValueError as exc:
                self.problem(("schedules", name), f"schedules.{name}: {exc}")
        return schedules

    def _district(self, did: str, raw: DistrictSpec, schedules: Mapping[str, Schedule]) -> District:
        where = ("districts", did)
        if not raw.name.startswith(raw.short):
            self.problem(
                (*where, "short"), f"{did}: short name {raw.short} is not how {raw.name} starts"
            )
        missing = [kind for kind in OfficeKind if kind.value not in raw.offices]
        if missing:
            names = ", ".join(missing)
            self.problem((*where, "offices"), f"{did}: {raw.name} has no {names} office")
        offices = []
        for kind_name, office in raw.offices.items():
            hours = schedules.get(office.hours)
            if hours is None:
                self.problem(
                    (*where, "offices", kind_name, "hours"),
                    f"{did}.{kind_name}: no schedule {office.hours!r} under schedules",
                )
                continue
            kind = OfficeKind(kind_name)
            offices.append(
                Office(did, kind, office.name, office.endpoint, hours, office.webhook_url)
            )
        offices.sort(key=lambda office: list(OfficeKind).index(office.kind))
        places = (
            *(Place(name, PlaceKind.STREET, did) for name in raw.streets),
            *(Place(name, PlaceKind.TOWN, did) for name in raw.towns),
            *(Place(name, PlaceKind.TOWNSHIP, did) for name in raw.townships),
        )
        known = {place.name for place in places}
        for index, name in enumerate(raw.suffix_required):
            if name not in known:
                self.problem(
                    (*where, "suffix_required", str(index)),
                    f"{did}: {name} is not one of its places",
                )
        for name in raw.aliases:
            if name not in known:
                self.problem((*where, "aliases", name), f"{did}: {name} is not one of its places")
        return District(did, raw.name, raw.short, tuple(raw.former_names), tuple(offices), places)

    def _unique_endpoints(self, districts: tuple[District, ...]) -> None:
        seen: dict[str, Office] = {}
        for district in districts:
            for office in district.offices:
                first = seen.setdefault(office.endpoint, office)
                if first is not office:
                    where = ("districts", district.id, "offices", office.kind.value, "endpoint")
                    self.problem(
                        where,
                        f"endpoint {office.endpoint} is used twice: by "
                        f"{first.district_id}.{first.kind} and {district.id}.{office.kind}",
                    )

    def _unique_places(self, districts: tuple[District, ...]) -> None:
        seen: dict[str, str] = {}
        for district in districts:
            for place in district.places:
                first = seen.get(place.name)
                seen[place.name] = district.id
                if first is not None:
                    where = ("districts", district.id, _field(place.kind))
                    places = f"in {first} and {district.id}" if first != district.id else "twice"
                    self.problem(where, f"{place.name} is listed {places}")

    def _terms(self, spec: DirectorySpec, districts: tuple[District, ...]) -> tuple[Term, ...]:
        found: dict[str, set[str]] = defaultdict(set)
        what: dict[str, tuple[str, TermKind]] = {}
        for district in districts:
            raw = spec.districts[district.id]
            for text, label, kind in _names(district, raw):
                found[text].add(district.id)
                what.setdefault(text, (label, kind))
        for name, declared in spec.shared_names.items():
            actual = found.get(name, set())
            if len(actual) < 2:
                self.problem(
                    ("shared_names", name),
                    f"shared_names: {name} names a place in "
                    f"{len(actual)} district(s), not several: remove it",
                )
            elif set(declared) != actual:
                self.problem(
                    ("shared_names", name),
                    f"shared_names: {name} is in {sorted(actual)}, not {sorted(declared)}",
                )
        for text, owners in found.items():
            if len(owners) > 1 and text not in spec.shared_names:
                self.problem(
                    ("districts", sorted(owners)[1]),
                    f"{text} names places in {sorted(owners)}: list it under shared_names "
                    "(ambiguous on its own) or under one district's suffix_required",
                )
        return tuple(
            Term(text, frozenset(owners), what[text][1], what[text][0])
            for text, owners in sorted(found.items())
        )


def _names(district: District, raw: DistrictSpec) -> Iterator[tuple[str, str, TermKind]]:
    """Every name by which an address is placed in ``district``, with what it is."""
    yield district.name, district.name, TermKind.DISTRICT
    yield district.short, district.name, TermKind.DISTRICT
    for former in district.former_names:
        yield former, f"{former} (now {district.name})", TermKind.DISTRICT
        yield former[:-1], f"{former} (now {district.name})", TermKind.DISTRICT
    strict = set(raw.suffix_required)
    for place in district.places:
        yield place.name, place.name, TermKind.PLACE
        if place.name not in strict:
            for bare in bare_names(place.name):
                yield bare, place.name, TermKind.PLACE
        for alias in raw.aliases.get(place.name, []):
            yield alias, place.name, TermKind.PLACE


def bare_names(name: str) -> tuple[str, ...]:
    """A place's name without its suffix: 华阳路街道 → 华阳路; 真如镇街道 → 真如镇, 真如."""
    names = []
    current = name
    for suffix in PLACE_SUFFIXES:
        if current.endswith(suffix) and len(current) - len(suffix) >= MIN_BARE_NAME:
            current = current[: -len(suffix)]
            names.append(current)
    return tuple(names)


def _field(kind: PlaceKind) -> str:
    return {PlaceKind.STREET: "streets", PlaceKind.TOWN: "towns", PlaceKind.TOWNSHIP: "townships"}[
        kind
    ]
