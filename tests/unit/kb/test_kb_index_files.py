from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.corpus import CorpusError, Provision
from kb.index import SearchIndex, fingerprint
from kb.index_files import IndexLoadError

from .conftest import provision

QUERIES = ["老板不给我交社保", "工伤认定", "醫保", "辞退补偿", "失业金领多久"]


def test_save_and_load_give_identical_results(sample_index: SearchIndex, tmp_path: Path) -> None:
    sample_index.save(tmp_path / "index")
    loaded = SearchIndex.load(tmp_path / "index")
    assert len(loaded) == len(sample_index)
    assert loaded.fingerprint == sample_index.fingerprint
    for query in QUERIES:
        assert loaded.search(query) == sample_index.search(query)
    some = sample_index.search("社保")[0].id
    assert loaded.get(some) == sample_index.get(some)


def test_fingerprint_is_stable_and_order_independent(sample_provisions: list[Provision]) -> None:
    assert fingerprint(sample_provisions) == fingerprint(list(reversed(sample_provisions)))
    assert SearchIndex.build(sample_provisions[:50]).fingerprint == fingerprint(
        sample_provisions[:50]
    )


def test_fingerprint_changes_with_contents(sample_provisions: list[Provision]) -> None:
    changed = [*sample_provisions[:-1], provision(sample_provisions[-1].id, "改过的正文")]
    assert fingerprint(changed) != fingerprint(sample_provisions)


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(CorpusError, match="duplicate"):
        SearchIndex.build([provision("L1-1", "甲"), provision("L1-1", "乙")])


def test_progress_reports_the_count_done() -> None:
    seen: list[int] = []
    SearchIndex.build([provision(f"L1-{n}", "正文") for n in range(3)], progress=seen.append)
    assert seen[-1] == 3


def test_empty_index_searches_to_nothing(tmp_path: Path) -> None:
    index = SearchIndex.build([])
    assert index.search("社保") == []
    index.save(tmp_path / "empty")
    assert len(SearchIndex.load(tmp_path / "empty")) == 0


def test_missing_index_has_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IndexLoadError, match="no saved index"):
        SearchIndex.load(tmp_path / "nowhere")


def test_corrupt_index_has_a_clear_error(tmp_path: Path) -> None:
    SearchIndex.build([provision("L1-1", "正文")]).save(tmp_path)
    with (tmp_path / "arrays.npz").open("r+b") as arrays:
        arrays.seek(100)
        arrays.write(b"garbage")
    with pytest.raises(IndexLoadError, match="corrupt"):
        SearchIndex.load(tmp_path)


def test_other_format_version_has_a_clear_error(tmp_path: Path) -> None:
    SearchIndex.build([provision("L1-1", "正文")]).save(tmp_path)
    meta = json.loads((tmp_path / "meta.json").read_text())
    meta["format_version"] = 999
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(IndexLoadError, match="rebuild"):
        SearchIndex.load(tmp_path)
