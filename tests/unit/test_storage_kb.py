"""The knowledge base's data in the store, on SQLite and PostgreSQL: versioned imports,
guidance entries, what is in force on a day, marks and the gap report."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta

import pytest

from hotline.storage import CallRecord, Outcome, Store
from hotline.storage.kb_records import KbGap, KbMark
from kb.corpus import Provision
from tests.unit import test_storage_support as support
from tests.unit.test_storage_support import at

database_url = support.database_url
postgres_admin_url = support.postgres_admin_url
postgres_url = support.postgres_url
store = support.store

TODAY = date(2026, 11, 28)


def provision(pid: str, text: str, law: str = "L0019", **changes: object) -> Provision:
    base = Provision(
        id=pid, law_id=law, law_title="中华人民共和国劳动合同法", category="劳动合同",
        law_category="劳动合同", domain="labour_social_security", level="法律",
        article_no=f"第{pid[-1:]}条", chapter="第一章 总则", text=text, version_date="2012-12-28",
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def answered_call(uniqueid: str, queue: str, second: int) -> CallRecord:
    return CallRecord(
        uniqueid=uniqueid, linkedid=uniqueid, caller_number="13800138000", caller_name="",
        dialed="12333", arrived_at=at(second), answered_at=at(second + 20),
        ended_at=at(second + 200), queue=queue, agent_code="7001", seat="seat001",
        outcome=Outcome.ANSWERED, wait_ms=20_000, talk_ms=180_000,
    )  # fmt: skip


def texts_in_force(store: Store, on: date = TODAY) -> dict[str, str]:
    _, rows = store.provisions_in_force(on)
    return {p.id: p.text for p in store.load_provisions(rows)}


def test_an_import_records_every_provision_once(store: Store) -> None:
    progress: list[int] = []
    result = store.import_provisions(
        [provision("L0019-0001", "甲"), provision("L0019-0002", "乙")],
        author="admin", at=at(0), progress=progress.append,
    )  # fmt: skip
    assert (result.added, result.changed, result.unchanged, result.retired) == (2, 0, 0, 0)
    assert progress == [2]
    assert texts_in_force(store) == {"L0019-0001": "甲", "L0019-0002": "乙"}


def test_reimporting_a_changed_provision_keeps_the_superseded_text(store: Store) -> None:
    store.import_provisions([provision("L0019-0001", "旧文")], author="a", at=at(0))
    fingerprint_before, _ = store.provisions_in_force(TODAY)
    result = store.import_provisions([provision("L0019-0001", "新文")], author="a", at=at(60))
    assert (result.added, result.changed) == (0, 1)
    assert texts_in_force(store) == {"L0019-0001": "新文"}
    history = store.provision_history("L0019-0001")
    assert [(v.version, v.provision.text) for v in history] == [(2, "新文"), (1, "旧文")]
    assert history[1].superseded_at == at(60) and history[0].superseded_at is None
    assert store.provisions_in_force(TODAY)[0] != fingerprint_before


def test_an_unchanged_reimport_changes_nothing(store: Store) -> None:
    corpus = [provision("L0019-0001", "甲"), provision("L0019-0002", "乙")]
    store.import_provisions(corpus, author="a", at=at(0))
    before = store.provisions_in_force(TODAY)
    result = store.import_provisions(corpus, author="a", at=at(60))
    assert (result.added, result.changed, result.unchanged) == (0, 0, 2)
    assert store.provisions_in_force(TODAY) == before


def test_a_new_version_not_yet_in_force_leaves_the_old_text_served(store: Store) -> None:
    store.import_provisions([provision("L0019-0001", "现行")], author="a", at=at(0))
    amended = provision("L0019-0001", "修订", effective_from=TODAY + timedelta(days=30))
    store.import_provisions([amended], author="a", at=at(60))
    assert texts_in_force(store) == {"L0019-0001": "现行"}
    assert texts_in_force(store, TODAY + timedelta(days=30)) == {"L0019-0001": "修订"}


def test_a_law_reimported_without_an_article_retires_it_and_other_laws_stay(
    store: Store,
) -> None:
    store.import_provisions(
        [provision("L0019-0001", "甲"), provision("L0019-0002", "乙"),
         provision("L0020-0001", "丙", law="L0020")],
        author="a", at=at(0),
    )  # fmt: skip
    result = store.import_provisions([provision("L0019-0001", "甲")], author="a", at=at(60))
    assert result.retired == 1
    assert texts_in_force(store) == {"L0019-0001": "甲", "L0020-0001": "丙"}
    back = store.import_provisions([provision("L0019-0002", "乙")], author="a", at=at(120))
    assert back.changed == 1
    assert "L0019-0002" in texts_in_force(store)


def test_guidance_entries_number_themselves_and_respect_their_dates(store: Store) -> None:
    entry = provision(
        "", "2026年度本市社会保险缴费基数上限为37302元。", law="", level="本地指引",
        category="社会保险", law_title="本地指引", article_no="",
        effective_from=date(2026, 7, 1), effective_to=date(2027, 6, 30),
    )  # fmt: skip
    first = store.add_guidance(entry, author="admin", at=at(0))
    second = store.add_guidance(replace(entry, text="另一条"), author="admin", at=at(1))
    assert (first.id, second.id) == ("G-0001", "G-0002")
    assert set(texts_in_force(store)) == {"G-0001", "G-0002"}
    assert texts_in_force(store, date(2027, 7, 1)) == {}
    store.add_guidance(replace(first, text="上限调整"), author="admin", at=at(2))
    assert texts_in_force(store)["G-0001"] == "上限调整"
    assert store.retire_provision("G-0002", at(3))
    assert set(texts_in_force(store)) == {"G-0001"}


def test_a_failed_import_changes_nothing(store: Store) -> None:
    store.import_provisions([provision("L0019-0001", "甲")], author="a", at=at(0))
    before = store.provisions_in_force(TODAY)

    def corpus() -> Iterator[Provision]:
        yield provision("L0019-0002", "乙")
        raise ValueError("line 2: not JSON")

    with pytest.raises(ValueError, match="not JSON"):
        store.import_provisions(corpus(), author="a", at=at(60))
    assert store.provisions_in_force(TODAY) == before


def test_a_mark_counts_once_per_call_and_entry(store: Store) -> None:
    mark = KbMark("call-1", "L0019-0082", "7001", "labour_contract", at(0))
    assert store.save_mark(mark)
    assert not store.save_mark(replace(mark, at=at(5)))
    store.save_mark(replace(mark, provision_id="L0019-0010"))
    assert [m.provision_id for m in store.marks_since(at(0))] == ["L0019-0082", "L0019-0010"]
    assert store.marks_since(at(10)) == []


def test_the_gap_report_lists_questions_and_answered_calls_without_a_mark(
    store: Store,
) -> None:
    for n, queue in enumerate(["pension", "pension", "wages"]):
        store.record_call(answered_call(f"c{n}", queue, n))
    store.save_mark(KbMark("c0", "L0001-0001", "7001", "pension", at(10)))
    gap = KbGap("c1", "7001", "pension", "灵活就业人员养老保险怎么补缴？", at(20))
    store.save_gap(gap)
    unmarked = store.unmarked_calls(at(-60), at(3600))
    assert [(u.queue, u.calls) for u in unmarked] == [("pension", 1), ("wages", 1)]
    assert store.kb_gaps(at(0), at(3600)) == [gap]
