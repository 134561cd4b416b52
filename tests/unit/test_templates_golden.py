"""Golden-text tests of the generated Asterisk configuration.

Every template is rendered with fixed inputs (3 seats, one lab contact, fake secrets, the chroot
layout under /state) and compared with the file of the same name in tests/golden/.

After an intended change to a template, regenerate the golden files and review the diff:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_templates_golden.py

With UPDATE_GOLDEN=1 the comparison tests write the files instead of comparing (and pass).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import jinja2
import pytest

from hotline import channel_vars
from hotline.asterisk.layout import chroot_layout, system_layout
from hotline.asterisk.render import AMI_READ, AMI_WRITE, _environment, render_all
from hotline.secrets import Secrets
from hotline.settings import Settings, load_settings
from hotline.window_endpoints import window_endpoints

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

FAKE_AMI_SECRET = "ami-secret-for-golden-test"
WINDOWS = ("win-changning-si", "win-xuhui-si", "win-pudong-si")
FAKE_SECRETS = Secrets(
    ami_username="hotline",
    ami_secret=FAKE_AMI_SECRET,
    seat_passwords={f"seat00{n}": f"seat00{n}-password-for-golden-test" for n in (1, 2, 3)},
    window_passwords={w: f"{w}-password-for-golden-test" for w in WINDOWS},
)
FAKE_VALUES = {
    FAKE_AMI_SECRET,
    *FAKE_SECRETS.seat_passwords.values(),
    *FAKE_SECRETS.window_passwords.values(),
}
FORBIDDEN_AMI_CLASSES = {"system", "command", "config", "all"}


def golden_settings() -> Settings:
    return load_settings(
        environ={
            "HOTLINE_SEAT_COUNT": "3",
            "HOTLINE_LAB_SEAT_CONTACTS": "seat001=sip:seat001@127.0.0.1:6001",
            "HOTLINE_DISTRICT_WINDOWS": ",".join(WINDOWS),
            "HOTLINE_LAB_WINDOW_CONTACTS": "win-changning-si=sip:win@127.0.0.1:6010",
        },
        config_file=None,
    )


def render(settings: Settings | None = None) -> dict[str, str]:
    return render_all(
        settings or golden_settings(), FAKE_SECRETS, chroot_layout(Path("/state")).dirs
    )


RENDERED = render()


def section(text: str, name: str) -> dict[str, str]:
    """The ``key = value`` lines of the first ``[name]`` section of an Asterisk .conf file."""
    values: dict[str, str] = {}
    inside = False
    for line in text.splitlines():
        stripped = line.split(";", 1)[0].strip()
        if stripped.startswith("["):
            if inside:
                break
            inside = re.match(rf"\[{re.escape(name)}\](\(.*\))?$", stripped) is not None
        elif inside and "=" in stripped:
            key, value = stripped.split("=", 1)
            values[key.strip()] = value.strip().lstrip(">").strip()
    return values


# ---- the golden comparison ---------------------------------------------------------------------


def test_given_golden_inputs_when_rendering_then_every_template_has_a_golden_file() -> None:
    if UPDATE:
        GOLDEN_DIR.mkdir(exist_ok=True)
        for stale in {p.name for p in GOLDEN_DIR.iterdir()} - set(RENDERED):
            (GOLDEN_DIR / stale).unlink()
        for name, text in RENDERED.items():
            (GOLDEN_DIR / name).write_text(text, encoding="utf-8")
    assert sorted(p.name for p in GOLDEN_DIR.iterdir()) == sorted(RENDERED)


@pytest.mark.parametrize("name", sorted(RENDERED))
def test_given_golden_inputs_when_rendering_then_output_matches_golden_file(name: str) -> None:
    golden = GOLDEN_DIR / name
    if UPDATE:
        golden.write_text(RENDERED[name], encoding="utf-8")
    assert golden.read_text(encoding="utf-8") == RENDERED[name], (
        f"{name} differs from tests/golden/{name}; if intended, run with UPDATE_GOLDEN=1"
    )


def test_given_same_inputs_when_rendering_twice_then_output_is_identical() -> None:
    assert render() == RENDERED


def test_given_golden_files_when_scanned_then_only_the_fake_secrets_appear() -> None:
    for name, text in RENDERED.items():
        for line in text.splitlines():
            match = re.match(r"\s*(secret|password)\s*=\s*(.*)$", line)
            if match:
                assert match.group(2).strip() in FAKE_VALUES, f"{name}: {line!r}"
    for path in GOLDEN_DIR.iterdir():
        text = path.read_text(encoding="utf-8")
        for line in text.splitlines():
            if re.match(r"\s*(secret|password)\s*=", line):
                assert line.split("=", 1)[1].strip() in FAKE_VALUES, f"{path.name}: {line!r}"


# ---- what the configuration must say -----------------------------------------------------------


def test_given_manager_conf_when_rendered_then_ami_binds_loopback_without_dangerous_classes() -> (
    None
):
    text = RENDERED["manager.conf"]
    general = section(text, "general")
    assert general["bindaddr"] == "127.0.0.1"
    assert general["webenabled"] == "no"
    account = section(text, "hotline")
    assert account["secret"] == FAKE_AMI_SECRET
    assert account["permit"] == "127.0.0.1/255.255.255.255"
    for key in ("read", "write"):
        classes = {c.strip() for c in account[key].split(",")}
        assert not classes & FORBIDDEN_AMI_CLASSES, f"{key} = {account[key]}"
    for declared in (AMI_READ, AMI_WRITE):
        assert not set(declared.split(",")) & FORBIDDEN_AMI_CLASSES


def test_given_default_settings_when_pjsip_rendered_then_transport_binds_loopback() -> None:
    transport = section(RENDERED["pjsip.conf"], "transport-udp")
    assert transport["bind"] == "127.0.0.1:5060"
    assert transport["protocol"] == "udp"


def test_given_lab_contact_when_pjsip_rendered_then_only_that_seat_has_a_static_contact() -> None:
    text = RENDERED["pjsip.conf"]
    assert text.count("contact = sip:seat001@127.0.0.1:6001") == 1
    # The other static contacts: the callback trunk's gateway, a window's lab phone.
    contacts = re.findall(r"^contact = (.*)$", text, flags=re.MULTILINE)
    assert sorted(contacts) == [
        "sip:127.0.0.1:5090",
        "sip:seat001@127.0.0.1:6001",
        "sip:win@127.0.0.1:6010",
    ]
    for seat in ("seat001", "seat002", "seat003"):
        assert f"[{seat}](seat-endpoint)" in text
        assert f"password = {seat}-password-for-golden-test" in text
    assert "seat004" not in text


def test_given_no_window_list_when_rendered_then_every_office_of_the_directory_is_an_endpoint() -> (
    None
):
    settings = load_settings(environ={"HOTLINE_SEAT_COUNT": "1"}, config_file=None)
    endpoints = window_endpoints(settings)
    assert len(endpoints) == 64
    assert "win-changning-si" in endpoints and "win-pudong-arb" in endpoints


def test_given_modules_conf_when_rendered_then_autoload_is_off() -> None:
    assert section(RENDERED["modules.conf"], "modules")["autoload"] == "no"


def test_given_dialplan_when_rendered_then_every_channel_variable_is_used() -> None:
    dialplan = RENDERED["extensions.conf"]
    for name in channel_vars.ALL:
        assert re.search(rf"\b{name}\b", dialplan), name
    assert "exten => 12333,1," in dialplan


def test_given_queues_conf_when_rendered_then_every_seat_is_a_fallback_member() -> None:
    members = [line for line in RENDERED["queues.conf"].splitlines() if line.startswith("member")]
    assert members == [f"member => PJSIP/seat00{n},0,seat00{n}" for n in (1, 2, 3)]


def test_given_chroot_layout_when_asterisk_conf_rendered_then_paths_are_inside_views() -> None:
    text = RENDERED["asterisk.conf"]
    assert "astetcdir => /etc/asterisk" in text
    assert "/state" not in text


def test_given_system_layout_when_asterisk_conf_rendered_then_directories_section_is_used() -> None:
    dirs = system_layout(Path("/state")).dirs
    text = render_all(golden_settings(), FAKE_SECRETS, dirs)["asterisk.conf"]
    assert f"astetcdir => {dirs.etc}" in text
    assert re.search(r"^\[directories\]\s*(;.*)?$", text, flags=re.MULTILINE), (
        "[directories] must be a plain section, not a template"
    )


# ---- the template environment ------------------------------------------------------------------


def test_given_template_environment_when_built_then_it_uses_strict_undefined(
    tmp_path: Path,
) -> None:
    environment = _environment(tmp_path)
    assert environment.undefined is jinja2.StrictUndefined
    assert environment.autoescape is False


@pytest.mark.parametrize(
    "source",
    [
        "bind = {{ settings.no_such_field }}",
        "x = {{ nothing }}",
        "{% for s in missing %}{% endfor %}",
    ],
)
def test_given_template_with_unknown_variable_when_rendered_then_it_fails_loudly(
    tmp_path: Path, source: str
) -> None:
    (tmp_path / "tiny.conf.j2").write_text(source, encoding="utf-8")
    template = _environment(tmp_path).get_template("tiny.conf.j2")
    with pytest.raises(jinja2.UndefinedError):
        template.render({"settings": golden_settings()})


def test_given_the_callback_trunk_when_rendered_then_it_dials_out_and_lets_nothing_in() -> None:
    trunk = section(RENDERED["pjsip.conf"], "callback-trunk")
    assert trunk["context"] == "hotline-no-entry"
    dialplan = RENDERED["extensions.conf"]
    assert "[hotline-no-entry]\nexten => _[0-9*#+a-zA-Z].,1,Hangup(21)" in dialplan
    assert "AGI(${HOTLINE_AGI}/callback)" in dialplan
    assert section(RENDERED["manager.conf"], "hotline")["read"].split(",") == [
        "call", "agent", "dtmf", "reporting",
    ]  # fmt: skip
