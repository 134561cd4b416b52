"""What a waiting caller can do instead of waiting, and what they hear (Mandarin).

While in the queue a caller may press 1 for a callback that keeps their place, or 2 to leave a
voice message and hang up. The choices are announced after each position announcement, and once
more when the queue's relax rules say the wait has grown long ("offer_callback").
"""

from __future__ import annotations

import enum

from ivr.prompt import Prompt


class QueueChoice(enum.StrEnum):
    CALLBACK = "1"
    MESSAGE = "2"


CHOICES = frozenset(QueueChoice)
LONG_WAIT_NUDGE = "offer_callback"
"""Not a key: the routing core's relax rule saying a callback should be offered now."""

OPTIONS = Prompt("queue_options", "如需回电请按一，留言请按二。")
LONG_WAIT = Prompt("queue_long_wait", "您已等待较长时间。如需预约回电并保留排队位置，请按一。")

CONFIRM_NUMBER = Prompt("callback_confirm_intro", "我们将回电至以下号码：")
CONFIRM_CHOICE = Prompt(
    "callback_confirm_choice", "确认请按一，输入其他号码请按二，返回排队请按星号。"
)
ENTER_NUMBER = Prompt(
    "callback_enter_number", "请输入回电号码，手机或带区号的固定电话，以井号键结束。"
)
INVALID_NUMBER = Prompt("callback_invalid_number", "号码无效，无法回电。")
BOOKED = Prompt(
    "callback_booked",
    "已为您预约回电，并保留您的排队位置。轮到您时我们将回电，请保持电话畅通，再见。",
)
BACK_TO_QUEUE = Prompt("queue_back", "请继续等待。")
CALLBACK_GREETING = Prompt(
    "callback_greeting", "您好，这里是一二三三三热线，您预约的回电，正在为您接通坐席，请稍候。"
)

LEAVE_MESSAGE = Prompt("message_record", "请在提示音后留言，最长两分钟，说完请按井号键。")
MESSAGE_SAVED = Prompt("message_saved", "您的留言已收到，我们会尽快处理，再见。")
MESSAGE_EMPTY = Prompt("message_empty", "没有录到您的留言。")

DIGITS = tuple(Prompt(f"digit_{d}", name) for d, name in enumerate("零幺二三四五六七八九"))

ALL = (
    OPTIONS, LONG_WAIT, CONFIRM_NUMBER, CONFIRM_CHOICE, ENTER_NUMBER, INVALID_NUMBER, BOOKED,
    BACK_TO_QUEUE, CALLBACK_GREETING, LEAVE_MESSAGE, MESSAGE_SAVED, MESSAGE_EMPTY, *DIGITS,
)  # fmt: skip


def digit_prompts(number: str) -> tuple[Prompt, ...]:
    """The number read back digit by digit."""
    return tuple(DIGITS[int(d)] for d in number if d.isdigit())
