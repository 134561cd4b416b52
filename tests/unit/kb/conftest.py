from __future__ import annotations

from pathlib import Path

import pytest

from kb.corpus import Provision, read_provisions
from kb.index import SearchIndex

SAMPLE = Path(__file__).parents[2] / "fixtures" / "kb" / "provisions_sample.jsonl"


@pytest.fixture(scope="session")
def sample_provisions() -> list[Provision]:
    return list(read_provisions(SAMPLE))


@pytest.fixture(scope="session")
def sample_index(sample_provisions: list[Provision]) -> SearchIndex:
    return SearchIndex.build(sample_provisions)


def provision(pid: str, text: str, **fields: object) -> Provision:
    """A hand-made provision for ranking tests (labour domain, 法律, no category by default)."""
    values: dict[str, object] = {
        "law_id": pid.split("-", maxsplit=1)[0],
        "law_title": f"测试法规{pid.split('-', maxsplit=1)[0]}",
        "category": "劳动综合",
        "law_category": "劳动综合",
        "domain": "labour_social_security",
        "level": "法律",
        "article_no": "第一条",
        "chapter": "",
        "version_date": "2012-12-28",
    }
    values.update(fields)
    return Provision(id=pid, text=text, **values)  # type: ignore[arg-type]
