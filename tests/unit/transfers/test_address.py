"""Address resolution: a district from what an agent types, or the reason it cannot say."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transfers.address import (
    _SIMPLIFIED,
    _TRADITIONAL,
    MAX_ADDRESS_CHARS,
    Outcome,
    normalise,
    resolve,
)
from transfers.directory import Directory, load_directory

DIRECTORY = load_directory()

NAMES = [
    ("huangpu", "黄浦区", "黄浦"),
    ("xuhui", "徐汇区", "徐汇"),
    ("changning", "长宁区", "长宁"),
    ("jingan", "静安区", "静安"),
    ("putuo", "普陀区", "普陀"),
    ("hongkou", "虹口区", "虹口"),
    ("yangpu", "杨浦区", "杨浦"),
    ("minhang", "闵行区", "闵行"),
    ("baoshan", "宝山区", "宝山"),
    ("jiading", "嘉定区", "嘉定"),
    ("pudong", "浦东新区", "浦东"),
    ("jinshan", "金山区", "金山"),
    ("songjiang", "松江区", "松江"),
    ("qingpu", "青浦区", "青浦"),
    ("fengxian", "奉贤区", "奉贤"),
    ("chongming", "崇明区", "崇明"),
]


def district_of(address: str, directory: Directory = DIRECTORY) -> str | None:
    return resolve(directory, address).district_id


@pytest.mark.parametrize(("district_id", "name", "short"), NAMES)
def test_each_district_resolves_by_its_full_and_short_name(
    district_id: str, name: str, short: str
) -> None:
    assert district_of(f"上海市{name}某某路100号") == district_id
    assert district_of(f"{short}那边的一个厂") == district_id


@pytest.mark.parametrize(
    ("address", "district_id"),
    [
        ("华阳路街道", "changning"),
        ("华阳路", "changning"),
        ("新泾镇", "changning"),
        ("新泾", "changning"),
        ("陆家嘴", "pudong"),
        ("张江镇科苑路88号", "pudong"),
        ("张江", "pudong"),
        ("川沙", "pudong"),
        ("唐镇", "pudong"),
        ("真如镇街道", "putuo"),
        ("真如", "putuo"),
        ("江湾镇", "hongkou"),
        ("新江湾城街道", "yangpu"),
        ("北外滩", "hongkou"),
        ("外滩", "huangpu"),
        ("宝山路街道", "jingan"),
        ("莘庄镇", "minhang"),
        ("七宝", "minhang"),
        ("南翔", "jiading"),
        ("朱家角镇", "qingpu"),
        ("南桥镇", "fengxian"),
        ("堡镇", "chongming"),
        ("横沙乡", "chongming"),
        ("长兴岛", "chongming"),
        ("枫泾镇", "jinshan"),
        ("九亭", "songjiang"),
        ("中山街道", "songjiang"),
    ],
)
def test_streets_and_towns_resolve_with_or_without_their_suffix(
    address: str, district_id: str
) -> None:
    resolution = resolve(DIRECTORY, address)
    assert resolution.outcome is Outcome.RESOLVED
    assert resolution.district_id == district_id


@pytest.mark.parametrize(
    ("address", "district_id"),
    [
        ("卢湾区淡水路", "huangpu"),
        ("闸北区", "jingan"),
        ("南汇", "pudong"),
        ("崇明县", "chongming"),
    ],
)
def test_former_districts_resolve_to_the_district_they_are_part_of_now(
    address: str, district_id: str
) -> None:
    assert district_of(address) == district_id


@pytest.mark.parametrize(
    ("address", "district_id"),
    [
        ("上海市長寧區華陽路街道", "changning"),
        ("浦東新區張江鎮", "pudong"),
        ("閔行區", "minhang"),
        ("寶山區羅店鎮", "baoshan"),
        ("楊浦區五角場", "yangpu"),
        ("黃浦區", "huangpu"),
        ("徐匯區", "xuhui"),
        ("靜安區", "jingan"),
        ("奉賢區", "fengxian"),
        ("崇明區長興鎮", "chongming"),
    ],
)
def test_traditional_characters_resolve_like_simplified(address: str, district_id: str) -> None:
    assert district_of(address) == district_id


def test_full_width_and_spaced_out_input_is_normalised() -> None:
    assert normalise("长 宁 区 华阳路１２３号") == "长宁区华阳路123号"
    assert district_of("长 宁 区") == "changning"


def test_a_shared_name_alone_is_ambiguous_between_both_districts() -> None:
    resolution = resolve(DIRECTORY, "虹桥")
    assert resolution.outcome is Outcome.AMBIGUOUS
    assert resolution.candidates == ("changning", "minhang")
    assert "长宁区" in resolution.reason
    assert "闵行区" in resolution.reason


@pytest.mark.parametrize(
    ("address", "district_id"),
    [("虹桥街道", "changning"), ("虹桥镇", "minhang"), ("长宁区虹桥", "changning"),
     ("闵行区虹桥", "minhang"), ("虹桥华阳路", "changning")],
)  # fmt: skip
def test_a_shared_name_with_its_suffix_or_a_district_is_resolved(
    address: str, district_id: str
) -> None:
    assert district_of(address) == district_id


@pytest.mark.parametrize(
    ("address", "candidates"),
    [
        ("长宁区陆家嘴", ("changning", "pudong")),
        ("浦东新区徐汇区", ("pudong", "xuhui")),
        ("华阳路街道和张江镇", ("changning", "pudong")),
    ],
)
def test_names_from_two_districts_make_an_address_ambiguous(
    address: str, candidates: tuple[str, ...]
) -> None:
    resolution = resolve(DIRECTORY, address)
    assert resolution.outcome is Outcome.AMBIGUOUS
    assert resolution.district_id is None
    assert resolution.candidates == candidates


def test_a_name_inside_a_longer_name_does_not_count_on_its_own() -> None:
    # 宝山路街道 is in 静安区: 宝山 inside it is not 宝山区.
    resolution = resolve(DIRECTORY, "静安区宝山路街道")
    assert resolution.outcome is Outcome.RESOLVED
    assert resolution.found == ("静安区", "宝山路街道")


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("", "the address is empty"),
        ("   ", "the address is empty"),
        ("！！！", "the address is empty"),
        ("北京市朝阳区", "no district, 街道, 镇 or 乡 name found"),
        ("中山北路1000号", "no district, 街道, 镇 or 乡 name found"),
    ],
)
def test_unresolved_addresses_say_why(address: str, reason: str) -> None:
    resolution = resolve(DIRECTORY, address)
    assert resolution.outcome is Outcome.UNRESOLVED
    assert resolution.reason == reason
    assert not resolution.resolved


@pytest.mark.parametrize(
    "address",
    [
        "长宁区" + "x" * 10_000,
        "\x00长宁区\x00",
        "🏭长宁区🙂华阳路💰",
        "长宁" * 5_000,
        "\ud800长宁",  # a lone surrogate
        "\u202e区宁长\u202c",  # right-to-left override
    ],
)
def test_hostile_input_never_raises(address: str) -> None:
    resolve(DIRECTORY, address)


def test_only_the_first_characters_of_a_long_address_are_read() -> None:
    assert district_of("x" * MAX_ADDRESS_CHARS + "长宁区") is None
    assert district_of("长宁区" + "x" * 10 * MAX_ADDRESS_CHARS) == "changning"


def test_emoji_and_control_characters_separate_names_rather_than_join_them() -> None:
    assert normalise("长宁\x00区") == "长宁|区"
    assert district_of("🙂长宁🙂") == "changning"


def test_the_traditional_table_maps_one_character_to_one() -> None:
    assert len(_TRADITIONAL) == len(_SIMPLIFIED) == len(set(_TRADITIONAL))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_resolves_without_raising(text: str) -> None:
    resolution = resolve(DIRECTORY, text)
    assert (resolution.district_id is not None) == (resolution.outcome is Outcome.RESOLVED)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(NAMES), st.text(alphabet="0123456789号弄室路", max_size=20))
def test_a_district_name_followed_by_house_numbers_resolves(
    name: tuple[str, str, str], tail: str
) -> None:
    district_id, full, _ = name
    assert district_of(full + tail) == district_id
