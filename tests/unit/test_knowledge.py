"""The controller's knowledge base over a real store and the sample corpus (real provisions):
the index follows what is in force, is cached, and hit rates reorder a topic's entries."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from hotline.kb_build import ChildBuilder
from hotline.knowledge import KnowledgeBase, KnowledgeBaseNotReady
from hotline.storage import Store
from hotline.storage.kb_records import KbMark
from kb import index as kb_index
from kb.corpus import Provision, read_provisions

SAMPLE = Path(__file__).parents[1] / "fixtures" / "kb" / "provisions_sample.jsonl"
TODAY = date(2026, 11, 28)
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def corpus() -> list[Provision]:
    return list(read_provisions(SAMPLE))


@pytest.fixture
def store(tmp_path: Path, corpus: list[Provision]) -> Iterator[Store]:
    store = Store.open(f"sqlite:///{tmp_path / 'kb.db'}")
    store.migrate()
    store.import_provisions(corpus, author="test", at=NOW)
    yield store
    store.close()


@pytest.fixture
def knowledge(store: Store, tmp_path: Path) -> KnowledgeBase:
    knowledge = KnowledgeBase(store, tmp_path / "kb", lambda: TODAY)
    knowledge.refresh()
    return knowledge


def test_before_the_first_refresh_searches_say_the_index_is_being_built(
    store: Store, tmp_path: Path
) -> None:
    knowledge = KnowledgeBase(store, tmp_path / "kb", lambda: TODAY)
    with pytest.raises(KnowledgeBaseNotReady, match="being built"):
        knowledge.search("社保")
    assert not knowledge.status().ready


def test_colloquial_question_finds_the_statute(knowledge: KnowledgeBase) -> None:
    hits = knowledge.search("老板不给我交社保怎么办", top=10)
    assert any(h.law_title == "中华人民共和国社会保险法" for h in hits)


def test_a_second_controller_loads_the_cached_index_instead_of_building(
    knowledge: KnowledgeBase, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_build(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("built again")

    monkeypatch.setattr(kb_index.SearchIndex, "build", no_build)
    again = KnowledgeBase(store, tmp_path / "kb", lambda: TODAY)
    assert again.refresh()
    assert again.fingerprint == knowledge.fingerprint
    assert [h.id for h in again.search("工伤认定")] == [h.id for h in knowledge.search("工伤认定")]
    assert not again.refresh()  # nothing changed


def test_a_corrupt_cache_is_rebuilt(knowledge: KnowledgeBase, store: Store, tmp_path: Path) -> None:
    assert knowledge.fingerprint is not None
    for file in (tmp_path / "kb" / knowledge.fingerprint).iterdir():
        file.write_bytes(b"\0garbage")
    again = KnowledgeBase(store, tmp_path / "kb", lambda: TODAY)
    assert again.refresh()
    assert len(again.search("工伤认定")) > 0


def test_a_guidance_entry_is_searchable_after_a_refresh_and_only_while_in_force(
    knowledge: KnowledgeBase, store: Store, tmp_path: Path
) -> None:
    guidance = Provision(
        id="", law_id="", law_title="本地指引", category="社会保险", law_category="社会保险",
        domain="labour_social_security", level="本地指引", article_no="", chapter="",
        text="本市2026年度职工社会保险缴费基数上限为37302元，下限为7460元。",
        version_date="2026-07-01", effective_from=date(2026, 7, 1), effective_to=date(2027, 6, 30),
    )  # fmt: skip
    entry = store.add_guidance(guidance, author="admin", at=NOW)
    assert knowledge.refresh()
    assert entry.id in [h.id for h in knowledge.search("社保缴费基数上限是多少", top=5)]
    later = KnowledgeBase(store, tmp_path / "kb", lambda: date(2027, 7, 1))
    later.refresh()
    assert entry.id not in [h.id for h in later.search("社保缴费基数上限是多少", top=50)]


def test_a_changed_provision_serves_its_new_text(
    knowledge: KnowledgeBase, store: Store, corpus: list[Provision]
) -> None:
    article = next(p for p in corpus if p.id == "L0029-0016")
    store.import_provisions([replace(article, text=article.text + "（修订）")], author="t", at=NOW)
    assert knowledge.refresh()
    entry = knowledge.entry("L0029-0016")
    assert entry is not None and entry.text.endswith("（修订）")


def test_marks_put_the_topics_most_used_entries_first(knowledge: KnowledgeBase) -> None:
    before = [e.id for e in knowledge.topic_entries("pension", 5)]
    assert before, "the pension topic finds entries by its words"
    for n, pid in enumerate(["L0029-0019", "L0029-0019", "L0029-0019", "L0029-0014"]):
        assert knowledge.mark(KbMark(f"call-{n}", pid, "7001", "pension", NOW))
    assert not knowledge.mark(KbMark("call-0", "L0029-0019", "7001", "pension", NOW))
    entries = knowledge.topic_entries("pension", 5)
    assert [e.id for e in entries[:2]] == ["L0029-0019", "L0029-0014"]
    assert entries[0].hit_rate == pytest.approx(0.75)
    assert [e.id for e in knowledge.topic_entries("medical_insurance", 5)][:1] != ["L0029-0019"]


def test_hit_rates_survive_a_restart(
    knowledge: KnowledgeBase, store: Store, tmp_path: Path
) -> None:
    knowledge.mark(KbMark("c1", "L0029-0014", "7001", "pension", NOW - timedelta(days=1)))
    again = KnowledgeBase(store, tmp_path / "kb", lambda: TODAY)
    assert again.load_marks(NOW) == 1
    again.refresh()
    assert again.topic_entries("pension", 1)[0].id == "L0029-0014"


@pytest.mark.parametrize(
    "query",
    ["", "\0\0\0", 'AND OR NOT * " ( ) : ~ ^', "😀🙏", "社" * 10_000, "工伤 OR 1=1; DROP TABLE"],
)
def test_hostile_queries_never_raise(knowledge: KnowledgeBase, query: str) -> None:
    assert isinstance(knowledge.search(query, top=5, topic="pension"), list)


def test_the_controller_builds_the_index_in_a_child_process_and_loads_it(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_build(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("built in the controller's own process")

    monkeypatch.setattr(kb_index.SearchIndex, "build", no_build)
    builder = ChildBuilder(store.url, tmp_path / "kb")
    knowledge = KnowledgeBase(store, tmp_path / "kb", lambda: TODAY, builder=builder)
    assert knowledge.refresh()
    assert knowledge.status().provisions == 1288
    assert knowledge.search("工伤认定")
