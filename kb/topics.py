"""What the knowledge base shows for each IVR topic: a category and describing words.

Data in `topics.yaml`, read once and checked; the screen-pop and topic searches use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

TOPICS_FILE = Path(__file__).with_name("topics.yaml")


class TopicsError(ValueError):
    """The topics file is malformed: the message names the topic and what is wrong."""


@dataclass(frozen=True, slots=True)
class TopicView:
    category: str | None
    query: str


@dataclass(frozen=True, slots=True)
class TopicMap:
    default: TopicView
    topics: dict[str, TopicView]

    def view(self, topic: str | None) -> TopicView:
        return self.topics.get(topic or "", self.default)


@cache
def shipped_topics() -> TopicMap:
    return parse_topics(TOPICS_FILE.read_text(encoding="utf-8"), str(TOPICS_FILE))


def parse_topics(text: str, where: str) -> TopicMap:
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not isinstance(data.get("topics"), dict):
        raise TopicsError(f"{where}: needs a 'default' view and a 'topics' mapping")
    topics = {
        str(name): _view(view, f"{where}: topic {name}") for name, view in data["topics"].items()
    }
    return TopicMap(_view(data.get("default"), f"{where}: default"), topics)


def _view(raw: object, where: str) -> TopicView:
    if not isinstance(raw, dict) or set(raw) != {"category", "query"}:
        raise TopicsError(f"{where}: needs exactly 'category' (or null) and 'query'")
    category, query = raw["category"], raw["query"]
    if category is not None and not isinstance(category, str):
        raise TopicsError(f"{where}: category must be text or null")
    if not isinstance(query, str) or not query.strip():
        raise TopicsError(f"{where}: query must be non-empty text")
    return TopicView(category, query)
