"""Stopping what a waiting caller hears, so an offer never waits for the end of a prompt.

FastAGI runs one command at a time: while an announcement plays, the offer's SET VARIABLEs
wait behind it. Announcements are therefore played with CONTROL STREAM FILE, which AMI's
``ControlPlayback`` (Control: stop) can end at once; the waiting room asks for that through
this port when the offer arrives mid-announcement. The wiring module supplies the AMI one
(``ami_bridge.AmiPlayback``); without it the announcement plays to its end, as before.
"""

from __future__ import annotations

from typing import Protocol


class PlaybackControl(Protocol):
    async def stop(self, channel: str) -> bool:
        """Stop the prompt playing on ``channel`` (its Asterisk name); False if Asterisk could
        not be asked (the prompt then plays to its end)."""
        ...


class NoPlaybackControl:
    """Prompts always play to their end."""

    async def stop(self, channel: str) -> bool:
        return False
