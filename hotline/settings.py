"""Typed configuration: defaults < file (TOML) < environment, validated once, immutable.

Cores never read configuration; the wiring module hands them values. Secrets (the AMI secret,
seat passwords) are not settings: they live in the state directory (see ``hotline.secrets``).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "HOTLINE_"
CONFIG_FILE_ENV = "HOTLINE_CONFIG"


class SettingsError(Exception):
    """The configuration is invalid; the message says which value and why."""


class Settings(BaseModel):
    """Everything the engine can be told. Field names map to ``HOTLINE_<NAME>`` variables."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    state_dir: Path = Field(default=PROJECT_ROOT / ".hotline")
    cache_dir: Path = Field(default=Path("/var/cache/hotline"))
    database_url: str = ""
    mqtt_url: str = "mqtt://127.0.0.1:1883"

    asterisk_mode: Literal["auto", "system", "chroot"] = "auto"
    debian_mirror: str = ""
    debian_suite: str = "sid"

    sip_bind: str = "127.0.0.1"
    sip_port: int = Field(default=5060, ge=1, le=65535)
    trunk_match: str = "127.0.0.1:5080"
    ami_port: int = Field(default=5038, ge=1, le=65535)
    agi_host: str = "127.0.0.1"
    agi_port: int = Field(default=4573, ge=1, le=65535)
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=1, le=65535)
    rtp_start: int = Field(default=10000, ge=1024, le=65000)
    rtp_end: int = Field(default=20000, ge=1024, le=65535)
    rtp_timeout_s: int = Field(default=300, ge=0, le=3600)
    """A call leg that has sent no audio for this long is hung up (a phone or gateway that
    vanished without a BYE would otherwise keep its agent "on call" for ever); 0: never."""

    service_number: str = "12333"
    seat_count: int = Field(default=220, ge=1, le=9999)
    district_windows: tuple[str, ...] = ()
    """District-window endpoints to provision; empty: every office of the directory
    (transfers/data/shanghai.yaml, ``win-<district>-<si|emp|insp|arb>``)."""
    offer_timeout_s: int = Field(default=20, ge=5, le=120)
    loop_nice: int = Field(default=-10, ge=-20, le=19)
    """The nice value the controller's event-loop thread asks for (hotline/loop_priority.py);
    0 keeps the default priority."""
    wrapup_s: float = Field(default=10.0, ge=0, le=600)
    max_missed_offers: int = Field(default=3, ge=1, le=20)
    relax_after_s: tuple[float, float, float] = (30.0, 90.0, 180.0)
    announce_after_s: float = Field(default=2.0, ge=0.5, le=120)
    announce_every_s: float = Field(default=45.0, ge=10, le=600)
    repeat_caller_window_s: float = Field(default=86400.0, ge=0, le=30 * 86400)
    """A caller who rings again within this time is offered to the agent who answered them last
    (0: never)."""
    repeat_caller_wait_s: float = Field(default=20.0, ge=0, le=300)
    """How long a repeat caller waits for that agent to become free before anyone else."""
    ivr_flow: Path = Field(default=PROJECT_ROOT / "ivr" / "flows" / "12333.yaml")
    """The IVR flow shipped to the controller; admins change it later through the API (stored
    as versions) or with `hotline ivr load`."""
    timezone: str = "Asia/Shanghai"
    """Where opening hours, holidays and dates spoken to callers are reckoned."""
    ivr_time: datetime | None = None
    """Tests and rehearsals only: judge opening hours as if it were this time (ISO 8601)."""
    lab_seat_contacts: dict[str, str] = Field(default_factory=dict)
    lab_window_contacts: dict[str, str] = Field(default_factory=dict)
    """Lab and tests only: static contacts of district-window endpoints (SIPp phones)."""
    window_answer_s: float = Field(default=30.0, ge=3, le=120)
    """How long a district window rings before the caller goes back to the agent."""
    window_briefing_max_s: float = Field(default=45.0, ge=5, le=120)
    """The longest briefing a clerk hears before the caller joins anyway."""
    transfer_answer_s: float = Field(default=30.0, ge=3, le=120)
    """How long the agent consulted in a warm transfer rings before the caller goes back."""
    window_time: datetime | None = None
    """Tests and rehearsals only: judge windows' opening hours as if it were this time."""

    callback_trunk: str = "sip:127.0.0.1:5090"
    """Where queued callbacks are dialled (the carrier's SIP gateway); empty: no callbacks."""
    callback_max_legs: int = Field(default=30, ge=1, le=600)
    """Simultaneous outbound callback legs at most, so inbound callers always find a line."""
    callback_attempts: int = Field(default=3, ge=1, le=10)
    callback_retry_s: float = Field(default=120.0, ge=0, le=86400)
    callback_ring_s: float = Field(default=30.0, ge=5, le=120)
    voice_messages: bool = True

    # Work orders to district offices (issue 6): delivery, retries and escalations.
    work_order_webhook: str = ""
    """Where offices without a ``webhook_url`` of their own receive orders: a template such as
    ``http://127.0.0.1:18090/offices/{office}`` ({office}: the office's endpoint, {district},
    {kind}); empty: those offices get MQTT only."""
    work_order_retry_base_s: float = Field(default=2.0, gt=0, le=3600)
    """The first wait after a failed delivery; each next one doubles, up to 10 minutes."""
    work_order_max_attempts: int = Field(default=12, ge=1, le=100)
    work_order_poll_s: float = Field(default=1.0, gt=0, le=60)
    work_order_escalation_s: float = Field(default=30.0, gt=0, le=3600)
    """How often deadlines are checked."""
    work_order_clock_shift_s: float = Field(default=0.0, ge=0, le=400 * 86400)
    """Tests and rehearsals only: judge deadlines as if it were this much later."""

    @field_validator("ivr_time", "window_time")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.utcoffset() is None:
            raise ValueError("give the UTC offset, e.g. 2026-10-01T10:00:00+08:00")
        return value

    @field_validator("work_order_webhook")
    @classmethod
    def _webhook_template(cls, value: str) -> str:
        if not value:
            return value
        try:
            filled = value.format(office="win-x", district="x", kind="x")
        except (KeyError, IndexError, ValueError):
            raise ValueError(
                "only {office}, {district} and {kind} may be filled in, e.g. "
                "http://127.0.0.1:18090/offices/{office}"
            ) from None
        if not filled.startswith(("http://", "https://")):
            raise ValueError("a webhook is an http:// or https:// URL")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone name (e.g. Asia/Shanghai)") from None
        return value

    @model_validator(mode="after")
    def _rtp_range(self) -> Settings:
        if self.rtp_start >= self.rtp_end:
            raise ValueError(f"rtp_start ({self.rtp_start}) must be below rtp_end ({self.rtp_end})")
        return self

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.state_dir / 'hotline.db'}"

    @property
    def seats(self) -> tuple[str, ...]:
        return tuple(f"seat{n:03d}" for n in range(1, self.seat_count + 1))


def load_settings(
    environ: Mapping[str, str] | None = None, config_file: Path | None = None
) -> Settings:
    """Build settings from defaults, then the TOML file, then ``HOTLINE_*`` variables."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = config_file or _config_path(env)
    if path is not None:
        values.update(_read_file(path))
    values.update(_from_environment(env))
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise SettingsError(_explain(exc, path)) from None


def _config_path(env: Mapping[str, str]) -> Path | None:
    named = env.get(CONFIG_FILE_ENV)
    if named:
        return Path(named)
    default = PROJECT_ROOT / "hotline.toml"
    return default if default.exists() else None


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise SettingsError(f"configuration file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"configuration file {path} is not valid TOML: {exc}") from None


def _from_environment(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, field in Settings.model_fields.items():
        raw = env.get(ENV_PREFIX + name.upper())
        if raw is None or name == "config":
            continue
        if field.annotation is not None and "tuple" in str(field.annotation):
            values[name] = tuple(item.strip() for item in raw.split(",") if item.strip())
        elif field.annotation is not None and "dict" in str(field.annotation):
            values[name] = _parse_pairs(raw)
        else:
            values[name] = raw
    return values


def _parse_pairs(raw: str) -> dict[str, str]:
    pairs = (item.split("=", 1) for item in raw.split(",") if "=" in item)
    return {key.strip(): value.strip() for key, value in pairs}


def _explain(exc: ValidationError, path: Path | None) -> str:
    where = f" (file {path} and HOTLINE_* variables)" if path else " (HOTLINE_* variables)"
    lines = [f"invalid configuration{where}:"]
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"])
        lines.append(f"  {name}: {error['msg']} (env HOTLINE_{name.upper()})")
    return "\n".join(lines)
