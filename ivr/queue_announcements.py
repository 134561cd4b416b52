"""What a waiting caller hears about their place in the queue (Mandarin), as pure text.

The position counts the callers ahead; the estimate is read to the minute. Texts are spoken
by espeak-ng on first use and cached, so each distinct sentence is synthesised once.
"""

from __future__ import annotations

from ivr.prompt import Prompt
from ivr.zh_numbers import spoken_count, spoken_minutes


def position_prompt(position: int, estimate_s: float | None) -> Prompt:
    """ "您前面还有两位来电，预计等待约三分钟。" for the caller at ``position`` (1 = next)."""
    ahead = position - 1
    text = f"您前面还有{spoken_count(ahead)}位来电。" if ahead > 0 else "您是下一位。"
    if estimate_s is not None:
        text += f"预计等待{spoken_minutes(estimate_s)}。"
    return Prompt("queue_position", text)
