"""The district directory: the shipped Shanghai data, and every rule the loader enforces."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ivr.yaml_lines import DataFileError
from transfers.directory import (
    SHANGHAI,
    OfficeKind,
    PlaceKind,
    TermKind,
    bare_names,
    load_directory,
    load_directory_text,
)

DISTRICTS = [
    "黄浦区", "徐汇区", "长宁区", "静安区", "普陀区", "虹口区", "杨浦区", "闵行区",
    "宝山区", "嘉定区", "浦东新区", "金山区", "松江区", "青浦区", "奉贤区", "崇明区",
]  # fmt: skip


def office(kind: str, endpoint: str, indent: str = "      ") -> str:
    return (
        f"{indent}{kind}:\n{indent}  name: 测试办公室\n{indent}  endpoint: {endpoint}\n"
        f"{indent}  hours: office_hours\n"
    )


def district(
    did: str, name: str, short: str, streets: str = "[]", kinds: tuple[str, ...] = ()
) -> str:
    kinds = kinds or tuple(kind.value for kind in OfficeKind)
    offices = "".join(office(kind, f"win-{did}-{i}") for i, kind in enumerate(kinds))
    return (
        f"  {did}:\n    name: {name}\n    short: {short}\n    offices:\n{offices}"
        f"    streets: {streets}\n"
    )


HEADER = 'schedules:\n  office_hours:\n    days: mon-fri\n    open: ["09:00-17:00"]\ndistricts:\n'


def load(text: str) -> None:
    load_directory_text(text, "test.yaml")


def problems(text: str) -> list[str]:
    with pytest.raises(DataFileError) as caught:
        load(text)
    return [str(problem) for problem in caught.value.problems]


def test_the_shipped_directory_has_shanghais_sixteen_districts_with_all_four_offices() -> None:
    directory = load_directory()
    assert sorted(d.name for d in directory.districts) == sorted(DISTRICTS)
    for district in directory.districts:
        assert [office.kind for office in district.offices] == list(OfficeKind)
        assert district.places, district.name


def test_every_endpoint_in_the_shipped_directory_is_unique_and_follows_the_scheme() -> None:
    directory = load_directory()
    endpoints = [o.endpoint for d in directory.districts for o in d.offices]
    assert len(endpoints) == len(set(endpoints)) == 64
    assert directory.office("changning", OfficeKind.SOCIAL_INSURANCE_WINDOW).endpoint == (
        "win-changning-si"
    )
    found = directory.office_by_endpoint("win-pudong-insp")
    assert found is not None
    assert (found.district_id, found.kind) == ("pudong", OfficeKind.INSPECTION_BRIGADE)
    assert directory.office_by_endpoint("win-nowhere-si") is None


def test_changning_has_its_nine_streets_and_one_town() -> None:
    changning = load_directory().district("changning")
    streets = [p.name for p in changning.places if p.kind is PlaceKind.STREET]
    towns = [p.name for p in changning.places if p.kind is PlaceKind.TOWN]
    assert streets == [
        "华阳路街道", "江苏路街道", "新华路街道", "周家桥街道", "天山路街道",
        "仙霞新村街道", "虹桥街道", "程家桥街道", "北新泾街道",
    ]  # fmt: skip
    assert towns == ["新泾镇"]


@pytest.mark.parametrize(
    ("district_id", "streets", "towns", "townships"),
    [
        ("huangpu", 10, 0, 0),
        ("xuhui", 12, 1, 0),
        ("jingan", 13, 1, 0),
        ("putuo", 8, 2, 0),
        ("hongkou", 8, 0, 0),
        ("yangpu", 12, 0, 0),
        ("minhang", 4, 9, 0),
        ("baoshan", 3, 9, 0),
        ("jiading", 3, 7, 0),
        ("pudong", 12, 24, 0),
        ("jinshan", 1, 9, 0),
        ("songjiang", 6, 11, 0),
        ("qingpu", 3, 8, 0),
        ("fengxian", 3, 8, 0),
        ("chongming", 0, 16, 2),
    ],
)
def test_each_district_has_the_number_of_streets_towns_and_townships_of_2024(
    district_id: str, streets: int, towns: int, townships: int
) -> None:
    places = load_directory().district(district_id).places
    counted = [sum(1 for p in places if p.kind is kind) for kind in PlaceKind]
    assert counted == [streets, towns, townships]


def test_window_hours_are_office_hours_closed_on_holidays() -> None:
    hours = load_directory().office("jingan", OfficeKind.EMPLOYMENT_CENTRE).hours
    assert hours.statutory_calendar
    assert hours.days == frozenset(range(5))


def test_a_shared_bare_name_is_a_term_of_both_districts() -> None:
    terms = {term.text: term for term in load_directory().terms}
    assert terms["虹桥"].districts == {"changning", "minhang"}
    assert terms["虹桥街道"].districts == {"changning"}
    assert terms["虹桥镇"].districts == {"minhang"}
    assert terms["卢湾"].kind is TermKind.DISTRICT
    assert terms["卢湾"].districts == {"huangpu"}


def test_names_that_need_their_suffix_are_not_terms_without_it() -> None:
    terms = {term.text for term in load_directory().terms}
    assert "中山街道" in terms
    assert "中山" not in terms  # 中山北路 runs through several districts
    assert "唐镇" in terms
    assert "唐" not in terms  # one character is too little


@pytest.mark.parametrize(
    ("name", "bare"),
    [
        ("华阳路街道", ("华阳路",)),
        ("真如镇街道", ("真如镇", "真如")),
        ("新泾镇", ("新泾",)),
        ("横沙乡", ("横沙",)),
        ("唐镇", ()),
    ],
)
def test_bare_names_drop_the_suffix_but_keep_two_characters(
    name: str, bare: tuple[str, ...]
) -> None:
    assert bare_names(name) == bare


def test_a_minimal_directory_loads() -> None:
    load(HEADER + district("aa", "甲地区", "甲地", "[甲一街道]"))


def test_given_an_endpoint_used_twice_then_the_error_names_both_offices_and_the_line() -> None:
    text = (
        HEADER
        + district("aa", "甲地区", "甲地")
        + district("bb", "乙地区", "乙地").replace("win-bb-0", "win-aa-0")
    )
    found = problems(text)
    assert len(found) == 1
    line = text.splitlines().index("  bb:") + 7  # its first endpoint
    assert found[0] == (
        f"test.yaml:{line}: endpoint win-aa-0 is used twice: by aa.social_insurance_window "
        "and bb.social_insurance_window"
    )


def test_given_a_district_without_an_inspection_brigade_then_it_is_named() -> None:
    kinds = ("social_insurance_window", "employment_centre", "dispute_arbitration")
    text = HEADER + district("aa", "甲地区", "甲地", kinds=kinds)
    found = problems(text)
    assert found == [f"test.yaml:{text.splitlines().index('    offices:') + 1}: "
                     "aa: 甲地区 has no inspection_brigade office"]  # fmt: skip


def test_given_a_street_in_two_districts_then_it_is_an_error() -> None:
    text = (
        HEADER
        + district("aa", "甲地区", "甲地", "[共同街道]")
        + district("bb", "乙地区", "乙地", "[共同街道]")
    )
    found = problems(text)
    assert any("共同街道 is listed in aa and bb" in problem for problem in found)


def test_given_a_bare_name_in_two_districts_then_it_must_be_declared_shared() -> None:
    text = (
        HEADER
        + district("aa", "甲地区", "甲地", "[双名街道]")
        + district("bb", "乙地区", "乙地").replace("    streets: []", "    towns: [双名镇]")
    )
    assert any("双名 names places in ['aa', 'bb']: list it under shared_names" in p
               for p in problems(text))  # fmt: skip
    shared = text.replace("districts:\n", "shared_names:\n  双名: [aa, bb]\ndistricts:\n")
    load(shared)


def test_given_a_shared_name_that_is_not_shared_then_it_is_an_error() -> None:
    text = HEADER.replace("districts:\n", "shared_names:\n  甲一: [aa, bb]\ndistricts:\n")
    text += district("aa", "甲地区", "甲地", "[甲一街道]")
    assert any("甲一 names a place in 1 district(s), not several" in p for p in problems(text))


def test_given_an_unknown_key_then_the_error_has_its_line() -> None:
    text = HEADER + district("aa", "甲地区", "甲地").replace(
        "    short: 甲地\n", "    short: 甲地\n    mayor: 某\n"
    )
    line = text.splitlines().index("    mayor: 某") + 1
    assert problems(text) == [
        f"test.yaml:{line}: districts.aa.mayor: unknown key (check its spelling)"
    ]


def test_given_a_street_without_its_suffix_then_the_shape_is_refused() -> None:
    text = HEADER + district("aa", "甲地区", "甲地", "[甲一路]")
    assert any("districts.aa.streets.0" in p for p in problems(text))


def test_given_hours_naming_no_schedule_or_a_bad_schedule_then_both_are_reported() -> None:
    text = HEADER.replace('["09:00-17:00"]', '["17:00-09:00"]') + district("aa", "甲地区", "甲地")
    text = text.replace("hours: office_hours", "hours: nights", 1)
    found = problems(text)
    assert any("schedules.office_hours:" in p and "ends before it starts" in p for p in found)
    assert any("no schedule 'nights'" in p for p in found)


def test_given_a_key_written_twice_or_bad_yaml_or_an_empty_file_then_the_loader_says_so() -> None:
    assert "'aa' is written twice" in problems(HEADER + district("aa", "甲地区", "甲地") * 2)[0]
    assert "not valid YAML" in problems("districts: [")[0]
    assert problems("") == ["test.yaml:1: the file is empty"]


def test_given_a_missing_file_then_the_error_names_it(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="cannot read the directory"):
        load_directory(tmp_path / "missing.yaml")


def test_the_shipped_file_is_the_default() -> None:
    assert SHANGHAI.name == "shanghai.yaml"
    assert textwrap.dedent(SHANGHAI.read_text(encoding="utf-8")).startswith("# Shanghai")
