"""What an agent hears when using the feature codes on a seat's softphone (Mandarin)."""

from __future__ import annotations

from ivr.prompt import Prompt

ENTER_CODE = Prompt("agent_enter_code", "请输入您的工号，以井号键结束。")
UNKNOWN_CODE = Prompt("agent_unknown_code", "工号无效，请重新输入。")
LOGGED_IN = Prompt("agent_logged_in", "登录成功。")
LOGGED_OUT = Prompt("agent_logged_out", "您已退出登录。")
REFUSED = Prompt("agent_refused", "操作未成功，请联系班长。")
NOT_LOGGED_IN = Prompt("agent_not_logged_in", "本座席没有登录的坐席员。")

ALL = (ENTER_CODE, UNKNOWN_CODE, LOGGED_IN, LOGGED_OUT, REFUSED, NOT_LOGGED_IN)
