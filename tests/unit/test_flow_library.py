"""The flow in service: stored as versions, changed and reverted without a restart."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hotline.flow_library import SHIPPED, FlowLibrary
from hotline.storage import Store
from ivr.flow import MenuNode
from ivr.flow_yaml import FlowError
from ivr.prompt import Prompt
from ivr.shipped_flows import ONE_MENU_FLOW

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


class Voices:
    def __init__(self) -> None:
        self.voiced: list[str] = []

    def __call__(self, prompts: Iterable[Prompt]) -> int:
        new = [p.text for p in prompts if p.text not in self.voiced]
        self.voiced.extend(new)
        return len(new)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(f"sqlite:///{tmp_path / 'flows.db'}")
    store.migrate()
    yield store
    store.close()


def library(store: Store, shipped: Path, voices: Voices | None = None) -> FlowLibrary:
    return FlowLibrary(store, shipped, voices or Voices(), lambda: NOW)


def welcome_text(lib: FlowLibrary) -> str:
    node = lib.current.node("welcome")
    assert isinstance(node, MenuNode)
    return node.prompt.text


def test_the_first_start_stores_the_shipped_file_as_version_one(store: Store) -> None:
    voices = Voices()
    flow = library(store, ONE_MENU_FLOW, voices).start()
    assert flow.version == 1
    stored = store.latest_flow_version("one_menu")
    assert stored is not None
    assert (stored.author, stored.source) == (SHIPPED, ONE_MENU_FLOW.read_text(encoding="utf-8"))
    assert voices.voiced  # the prompts were voiced before serving


async def test_a_change_is_voiced_stored_and_served_then_reverted(store: Store) -> None:
    voices = Voices()
    lib = library(store, ONE_MENU_FLOW, voices)
    lib.start()
    source = ONE_MENU_FLOW.read_text(encoding="utf-8").replace("欢迎致电", "您好，欢迎致电")
    change = await lib.change(source, "admin-li", "friendlier welcome")
    assert (change.version.version, change.version.author) == (2, "admin-li")
    assert change.prompts_generated == 1
    assert welcome_text(lib).startswith("您好")
    back = await lib.revert(1, "admin-li")
    assert back.version.version == 3
    assert back.version.reverted_from == 1
    assert not welcome_text(lib).startswith("您好")


async def test_an_invalid_change_is_refused_and_the_served_flow_stays(store: Store) -> None:
    lib = library(store, ONE_MENU_FLOW)
    lib.start()
    with pytest.raises(FlowError, match="unknown key"):
        await lib.change(ONE_MENU_FLOW.read_text(encoding="utf-8") + "extra: 1\n", "a", "")
    with pytest.raises(ValueError, match="serves flow 'one_menu'"):
        await lib.change(
            ONE_MENU_FLOW.read_text(encoding="utf-8").replace("flow: one_menu", "flow: other"),
            "a", "",
        )  # fmt: skip
    with pytest.raises(LookupError):
        await lib.revert(9, "a")
    assert lib.current.version == 1
    assert [v.version for v in store.list_flow_versions("one_menu")] == [1]


async def test_an_admin_change_survives_a_restart_and_a_changed_shipped_file(
    store: Store, tmp_path: Path
) -> None:
    shipped = tmp_path / "flow.yaml"
    shipped.write_text(ONE_MENU_FLOW.read_text(encoding="utf-8"), encoding="utf-8")
    lib = library(store, shipped)
    lib.start()
    edited = shipped.read_text(encoding="utf-8").replace("欢迎致电", "管理员版欢迎致电")
    await lib.change(edited, "admin", "edit")
    shipped.write_text(shipped.read_text(encoding="utf-8").replace("欢迎致电", "新版本欢迎致电"),
                       encoding="utf-8")  # fmt: skip
    restarted = library(store, shipped)
    restarted.start()
    assert welcome_text(restarted).startswith("管理员版")


def test_a_new_shipped_file_is_adopted_when_no_admin_changed_the_flow(
    store: Store, tmp_path: Path
) -> None:
    shipped = tmp_path / "flow.yaml"
    shipped.write_text(ONE_MENU_FLOW.read_text(encoding="utf-8"), encoding="utf-8")
    library(store, shipped).start()
    shipped.write_text(shipped.read_text(encoding="utf-8").replace("欢迎致电", "新版本欢迎致电"),
                       encoding="utf-8")  # fmt: skip
    restarted = library(store, shipped)
    assert restarted.start().version == 2
    assert welcome_text(restarted).startswith("新版本")
