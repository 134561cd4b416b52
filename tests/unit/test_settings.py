"""Settings: defaults < TOML file < HOTLINE_* environment, validated once, immutable."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from hotline.settings import PROJECT_ROOT, Settings, SettingsError, load_settings


@pytest.fixture
def empty_file(tmp_path: Path) -> Path:
    """An empty configuration file, so a hotline.toml in the checkout cannot leak in."""
    path = tmp_path / "empty.toml"
    path.write_text("", encoding="utf-8")
    return path


def toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hotline.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_given_no_file_and_no_environment_when_loading_then_defaults_apply(
    empty_file: Path,
) -> None:
    settings = load_settings(environ={}, config_file=empty_file)
    assert settings == Settings()
    assert settings.sip_bind == "127.0.0.1"
    assert settings.sip_port == 5060
    assert settings.seat_count == 220
    assert settings.state_dir == PROJECT_ROOT / ".hotline"
    assert settings.resolved_database_url == f"sqlite:///{PROJECT_ROOT / '.hotline'}/hotline.db"
    assert settings.seats[0] == "seat001"
    assert settings.seats[-1] == "seat220"
    assert len(settings.seats) == 220


def test_given_file_and_environment_when_loading_then_environment_beats_file_beats_default(
    tmp_path: Path,
) -> None:
    path = toml(
        tmp_path,
        'sip_port = 5070\nagi_port = 4600\nservice_number = "12345"\n'
        'district_windows = ["jingan-si"]\n'
        '[lab_seat_contacts]\nseat001 = "sip:seat001@127.0.0.1:6001"\n',
    )
    settings = load_settings(
        environ={"HOTLINE_SIP_PORT": "5080", "HOTLINE_SEAT_COUNT": "3"}, config_file=path
    )
    assert settings.sip_port == 5080  # environment over file
    assert settings.agi_port == 4600  # file over default
    assert settings.service_number == "12345"
    assert settings.seat_count == 3  # environment over default
    assert settings.ami_port == 5038  # default
    assert settings.district_windows == ("jingan-si",)
    assert settings.lab_seat_contacts == {"seat001": "sip:seat001@127.0.0.1:6001"}
    assert settings.seats == ("seat001", "seat002", "seat003")


def test_given_config_variable_when_loading_then_that_file_is_read(tmp_path: Path) -> None:
    path = toml(tmp_path, 'database_url = "postgresql://db.example/hotline"\n')
    settings = load_settings(environ={"HOTLINE_CONFIG": str(path)})
    assert settings.resolved_database_url == "postgresql://db.example/hotline"


def test_given_list_and_pair_variables_when_loading_then_they_are_split(empty_file: Path) -> None:
    settings = load_settings(
        environ={
            "HOTLINE_DISTRICT_WINDOWS": " changning-si, xuhui-si,,",
            "HOTLINE_LAB_SEAT_CONTACTS": "seat001=sip:a@127.0.0.1:6001, seat002 = sip:b=c ,junk",
        },
        config_file=empty_file,
    )
    assert settings.district_windows == ("changning-si", "xuhui-si")
    assert settings.lab_seat_contacts == {
        "seat001": "sip:a@127.0.0.1:6001",
        "seat002": "sip:b=c",
    }


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("HOTLINE_SIP_PORT", "not-a-port"),
        ("HOTLINE_SIP_PORT", "70000"),
        ("HOTLINE_AMI_PORT", "0"),
        ("HOTLINE_SEAT_COUNT", "0"),
        ("HOTLINE_OFFER_TIMEOUT_S", "2"),
        ("HOTLINE_IVR_TIME", "not-a-time"),
        ("HOTLINE_IVR_TIME", "2026-10-01T10:00:00"),  # no offset: whose ten o'clock?
        ("HOTLINE_TIMEZONE", "Mars/Olympus"),
        ("HOTLINE_ASTERISK_MODE", "docker"),
        ("HOTLINE_RTP_START", "80"),
    ],
)
def test_given_invalid_variable_when_loading_then_settings_error_names_it(
    empty_file: Path, variable: str, value: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(environ={variable: value}, config_file=empty_file)
    assert variable in str(caught.value)


def test_given_invalid_value_in_file_when_loading_then_error_names_file_and_field(
    tmp_path: Path,
) -> None:
    path = toml(tmp_path, "http_port = 123456\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(environ={}, config_file=path)
    message = str(caught.value)
    assert "http_port" in message
    assert "HOTLINE_HTTP_PORT" in message
    assert str(path) in message


def test_given_unknown_key_in_file_when_loading_then_it_is_rejected(tmp_path: Path) -> None:
    path = toml(tmp_path, "sip_prot = 5070\n")
    with pytest.raises(SettingsError, match="sip_prot"):
        load_settings(environ={}, config_file=path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("sip_port = [\n", "not valid TOML"), (None, "does not exist")],
    ids=["broken-toml", "missing-file"],
)
def test_given_unreadable_file_when_loading_then_settings_error_says_why(
    tmp_path: Path, text: str | None, expected: str
) -> None:
    path = tmp_path / "hotline.toml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError, match=expected):
        load_settings(environ={}, config_file=path)


def test_given_loaded_settings_when_changed_then_refused(empty_file: Path) -> None:
    settings = load_settings(environ={}, config_file=empty_file)
    with pytest.raises(ValidationError):
        settings.sip_port = 5061  # type: ignore[misc]


def test_given_unrelated_variables_when_loading_then_they_are_ignored(empty_file: Path) -> None:
    settings = load_settings(
        environ={"HOTLINE_NOT_A_SETTING": "x", "PATH": "/bin", "hotline_sip_port": "1"},
        config_file=empty_file,
    )
    assert settings.sip_port == 5060


def test_given_inverted_rtp_range_when_loading_then_settings_error(empty_file: Path) -> None:
    with pytest.raises(SettingsError, match="rtp"):
        load_settings(
            environ={"HOTLINE_RTP_START": "20000", "HOTLINE_RTP_END": "10000"},
            config_file=empty_file,
        )
