"""The FastAGI environment block: `agi_key: value` lines ending with an empty line.

Pure and incremental: feed bytes as they arrive, split anywhere. The parser refuses input as soon
as it exceeds its budget, so a hostile peer cannot make us buffer more than `max_bytes`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import parse_qsl, unquote, urlsplit

from agi._lines import LineBuffer
from agi.errors import AgiEnvironmentTooLarge, AgiMalformedEnvironment
from agi.text import sanitize_text

DEFAULT_MAX_ENV_BYTES = 16 * 1024
DEFAULT_MAX_ENV_LINES = 256


def _empty() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class AgiRequestUrl:
    """The parts of `agi_request` (`agi://host:port/script?x=y`)."""

    scheme: str
    host: str
    port: int | None
    script: str
    params: Mapping[str, str] = field(default_factory=_empty, hash=False)


def parse_request_url(url: str) -> AgiRequestUrl:
    """Split a FastAGI request URL into script path and query parameters.

    A value that is not an agi:// or hagi:// URL (a local AGI script name) becomes the script.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("agi", "hagi"):
        return AgiRequestUrl(scheme="", host="", port=None, script=url)
    try:
        port = parts.port
    except ValueError as exc:
        raise AgiMalformedEnvironment(f"bad port in agi_request {sanitize_text(url)!r}") from exc
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    return AgiRequestUrl(
        scheme=parts.scheme,
        host=parts.hostname or "",
        port=port,
        script=unquote(parts.path.lstrip("/")),
        params=MappingProxyType(params),
    )


@dataclass(frozen=True, slots=True)
class AgiEnvironment:
    """What Asterisk tells us about the channel when it opens a FastAGI session.

    The common fields are typed; `raw` keeps every key exactly as received. Values such as
    callerid and calleridname are caller-controlled: sanitize before echoing or logging them.
    """

    request: str = ""
    channel: str = ""
    language: str = ""
    type: str = ""
    uniqueid: str = ""
    version: str = ""
    callerid: str = ""
    calleridname: str = ""
    callingpres: int = 0
    dnid: str = ""
    rdnis: str = ""
    context: str = ""
    extension: str = ""
    priority: int = 0
    enhanced: bool = False
    accountcode: str = ""
    threadid: str = ""
    network: bool = False
    network_script: str = ""
    script: str = ""
    params: Mapping[str, str] = field(default_factory=_empty, hash=False)
    args: tuple[str, ...] = ()
    raw: Mapping[str, str] = field(default_factory=_empty, hash=False)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, str]) -> AgiEnvironment:
        """Build the typed view of a complete `agi_*` mapping."""
        url = parse_request_url(raw.get("agi_request", ""))
        return cls(
            request=raw.get("agi_request", ""),
            channel=raw.get("agi_channel", ""),
            language=raw.get("agi_language", ""),
            type=raw.get("agi_type", ""),
            uniqueid=raw.get("agi_uniqueid", ""),
            version=raw.get("agi_version", ""),
            callerid=raw.get("agi_callerid", ""),
            calleridname=raw.get("agi_calleridname", ""),
            dnid=raw.get("agi_dnid", ""),
            rdnis=raw.get("agi_rdnis", ""),
            context=raw.get("agi_context", ""),
            extension=raw.get("agi_extension", ""),
            accountcode=raw.get("agi_accountcode", ""),
            threadid=raw.get("agi_threadid", ""),
            network_script=raw.get("agi_network_script", ""),
            callingpres=_int_field(raw, "agi_callingpres"),
            priority=_int_field(raw, "agi_priority"),
            enhanced=raw.get("agi_enhanced", "0.0") not in ("", "0", "0.0"),
            network=raw.get("agi_network", "") == "yes",
            script=url.script,
            params=url.params,
            args=_positional_args(raw),
            raw=MappingProxyType(dict(raw)),
        )


def _int_field(raw: Mapping[str, str], key: str) -> int:
    value = raw.get(key, "")
    if not value:
        return 0
    try:
        return int(value)
    except ValueError:
        raise AgiMalformedEnvironment(f"{key} is not a number: {sanitize_text(value)!r}") from None


def _positional_args(raw: Mapping[str, str]) -> tuple[str, ...]:
    # agi_arg_1..N are sent in order; the first gap ends the list.
    found: list[str] = []
    for index in itertools.count(1):
        value = raw.get(f"agi_arg_{index}")
        if value is None:
            return tuple(found)
        found.append(value)
    raise AssertionError("unreachable")  # pragma: no cover


class EnvironmentParser:
    """Incremental, bounded parser of one environment block.

    `receive_data` returns None until the terminating empty line has arrived, then the
    AgiEnvironment; bytes received after that line are kept in `leftover`.
    """

    def __init__(
        self, *, max_bytes: int = DEFAULT_MAX_ENV_BYTES, max_lines: int = DEFAULT_MAX_ENV_LINES
    ) -> None:
        self._max_bytes = max_bytes
        self._max_lines = max_lines
        self._lines = LineBuffer()
        self._consumed = 0
        self._pairs: dict[str, str] = {}
        self._result: AgiEnvironment | None = None
        self.leftover = b""

    def receive_data(self, data: bytes) -> AgiEnvironment | None:
        if self._result is not None:
            raise RuntimeError("environment block already complete; use leftover")
        self._lines.feed(data)
        while (line := self._lines.next_line()) is not None:
            self._consume(len(line) + 1)
            if line in (b"", b"\r"):
                return self._finish()
            self._add(line)
        # Counting the partial line is what stops a 1 MB line at the budget, not at its end.
        self._check_budget(self._consumed + self._lines.pending)
        return None

    def _consume(self, size: int) -> None:
        self._consumed += size
        self._check_budget(self._consumed)

    def _check_budget(self, size: int) -> None:
        if size > self._max_bytes:
            raise AgiEnvironmentTooLarge(f"environment block exceeds {self._max_bytes} bytes")

    def _add(self, line: bytes) -> None:
        if len(self._pairs) >= self._max_lines:
            raise AgiEnvironmentTooLarge(f"environment block exceeds {self._max_lines} lines")
        text = line.removesuffix(b"\r").decode("utf-8", errors="replace")
        key, sep, value = text.partition(": ")
        if not sep or not key:
            raise AgiMalformedEnvironment(f"not a 'key: value' line: {sanitize_text(text)!r}")
        if key in self._pairs:
            # A repeated key means a value contained a line break and tried to smuggle a field.
            raise AgiMalformedEnvironment(f"repeated key {sanitize_text(key)!r}")
        self._pairs[key] = value

    def _finish(self) -> AgiEnvironment:
        self.leftover = self._lines.take_rest()
        self._result = AgiEnvironment.from_mapping(self._pairs)
        return self._result
