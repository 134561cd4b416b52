"""The rendered configuration, loaded into the real Asterisk and read back from it."""

from __future__ import annotations

import re

import pytest

from hotline.setup import Prepared
from transfers.directory import load_directory

pytestmark = pytest.mark.asterisk


def test_given_rendered_dialplan_when_loaded_then_asterisk_routes_through_fastagi_and_fallback(
    asterisk: Prepared,
) -> None:
    inbound = asterisk.asterisk.rx("dialplan show s@hotline-inbound")
    assert "AGI(${HOTLINE_AGI}/inbound)" in inbound
    assert 'GotoIf($["${CUT(HOTLINE_ROUTE,|,1)}" = "agent"]?offer)' in inbound
    assert "Goto(hotline-fallback,s,1)" in inbound
    trunk = asterisk.asterisk.rx("dialplan show 12333@hotline-trunk")
    assert "Goto(hotline-inbound,s,1)" in trunk
    fallback = asterisk.asterisk.rx("dialplan show s@hotline-fallback")
    assert "Queue(hotline-fallback)" in fallback


def test_given_rendered_pjsip_when_loaded_then_trunk_seats_and_windows_exist_on_loopback(
    asterisk: Prepared,
) -> None:
    endpoints = asterisk.asterisk.rx("pjsip show endpoints")
    names = set(re.findall(r"Endpoint:\s+(\S+?)(?:/\S+)?\s", endpoints))
    assert "trunk" in names
    assert {f"seat{n:03d}" for n in range(1, 221)} <= names
    windows = {office.endpoint for d in load_directory().districts for office in d.offices}
    assert len(windows) == 64
    assert windows <= names
    transports = asterisk.asterisk.rx("pjsip show transports")
    assert "127.0.0.1:5060" in transports
    identify = asterisk.asterisk.rx("pjsip show identify trunk")
    assert "127.0.0.1" in identify and "5080" in identify


def test_given_fallback_queue_when_loaded_then_every_seat_is_a_member(asterisk: Prepared) -> None:
    queue = asterisk.asterisk.rx("queue show hotline-fallback")
    members = re.findall(r"\(PJSIP/(seat\d{3})\)", queue)
    assert len(members) == 220
    assert "leastrecent" in queue


def test_given_manager_conf_when_loaded_then_ami_is_loopback_only_with_least_privilege(
    asterisk: Prepared,
) -> None:
    settings = asterisk.asterisk.rx("manager show settings")
    assert re.search(r"TCP Bindaddress:\s+127\.0\.0\.1:5038", settings)
    assert re.search(r"Web Manager \(AMI/HTTP\):\s+No", settings)
    user = asterisk.asterisk.rx(f"manager show user {asterisk.secrets.ami_username}")
    perms = set()
    for line in user.splitlines():
        if "perm:" in line:
            perms |= set(line.split(":", 1)[1].strip().split(","))
    assert perms, user
    assert not perms & {"system", "command", "config", "all"}
    assert asterisk.secrets.ami_secret not in user


def test_given_modules_conf_when_loaded_then_only_the_engines_modules_run(
    asterisk: Prepared,
) -> None:
    out = asterisk.asterisk.rx("module show")
    match = re.search(r"(\d+) modules loaded", out)
    assert match and int(match.group(1)) < 80, out[-200:]
    for module in ("res_agi.so", "app_queue.so", "chan_pjsip.so", "app_confbridge.so"):
        assert module in out
    assert "chan_sip.so" not in out and "func_shell.so" not in out


def test_given_music_on_hold_when_loaded_then_default_class_has_files(asterisk: Prepared) -> None:
    files = asterisk.asterisk.rx("moh show files")
    assert "Class: default" in files
    assert len(re.findall(r"File: ", files)) >= 3
