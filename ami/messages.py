"""The messages Asterisk sends over AMI, as typed immutable values.

AMI keys may repeat (`ChanVariable:` in channel events, `Output:` in Command responses,
`Variable:` in actions), so every message keeps `items`, all `(key, value)` pairs in order,
and `fields`, a first-wins mapping for the common single-valued case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import overload

Items = tuple[tuple[str, str], ...]


def first_wins(items: Items) -> Mapping[str, str]:
    """A read-only mapping of each key to its first value."""
    fields: dict[str, str] = {}
    for key, value in items:
        fields.setdefault(key, value)
    return MappingProxyType(fields)


def find(items: Items, key: str) -> str | None:
    """The first value of `key`, matched case-insensitively as Asterisk does."""
    wanted = key.casefold()
    for item_key, value in items:
        if item_key.casefold() == wanted:
            return value
    return None


class _Lookup:
    """Key lookup shared by responses and events.

    Lookups fall back to case-insensitive matching because Asterisk itself reads headers
    case-insensitively and a few modules spell keys differently (`Cause-txt`, `ActionId`).
    """

    fields: Mapping[str, str]
    items: Items

    @overload
    def get(self, key: str) -> str | None: ...
    @overload
    def get(self, key: str, default: str) -> str: ...
    def get(self, key: str, default: str | None = None) -> str | None:
        """The first value of `key`, or `default`."""
        value = self.fields.get(key)
        if value is None:
            value = find(self.items, key)
        return default if value is None else value

    def get_all(self, key: str) -> tuple[str, ...]:
        """Every value of a repeated key, in order (e.g. all `ChanVariable` lines)."""
        wanted = key.casefold()
        return tuple(value for item_key, value in self.items if item_key.casefold() == wanted)


@dataclass(frozen=True)
class Greeting:
    """The banner line Asterisk sends first: `Asterisk Call Manager/11.0.0`."""

    version: str
    banner: str


@dataclass(frozen=True)
class Response(_Lookup):
    """An answer to an action: `Response: Success|Error|Goodbye|Follows`."""

    action_id: str | None
    status: str
    message: str | None
    fields: Mapping[str, str] = field(compare=False, repr=False)
    items: Items

    @classmethod
    def from_items(cls, items: Items) -> Response:
        """Build from the parsed `(key, value)` pairs; the first pair is `Response`."""
        fields = first_wins(items)
        return cls(
            action_id=find(items, "ActionID"),
            status=items[0][1],
            message=find(items, "Message"),
            fields=fields,
            items=items,
        )

    @property
    def is_error(self) -> bool:
        return self.status.casefold() == "error"

    @property
    def starts_event_list(self) -> bool:
        """True when events carrying this ActionID follow (`EventList: start`)."""
        return self.get("EventList", "").casefold() == "start"


@dataclass(frozen=True)
class Event(_Lookup):
    """An event: `Event: Newchannel` and its fields."""

    name: str
    action_id: str | None
    fields: Mapping[str, str] = field(compare=False, repr=False)
    items: Items

    @classmethod
    def from_items(cls, items: Items) -> Event:
        """Build from the parsed `(key, value)` pairs; the first pair is `Event`."""
        fields = first_wins(items)
        return cls(name=items[0][1], action_id=find(items, "ActionID"), fields=fields, items=items)

    @property
    def ends_event_list(self) -> bool:
        """True for the last event of a list (`EventList: Complete`)."""
        return self.get("EventList", "").casefold() == "complete"


Message = Greeting | Response | Event
