"""The call-reason taxonomy agents choose from at wrap-up (dispositions), as data.

Codes are ``topic.reason``; the labels are what agents see. The barometer (calls by policy,
district and time) counts these codes, so a code, once used, is never renamed: add new ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

DISPOSITIONS: Mapping[str, str] = MappingProxyType(
    {
        "pension.query": "养老保险咨询",
        "pension.transfer": "养老保险关系转移",
        "medical.query": "医疗保险咨询",
        "medical.reimbursement": "医保报销",
        "work_injury.query": "工伤认定与待遇咨询",
        "unemployment.query": "失业保险金咨询",
        "maternity.query": "生育保险咨询",
        "contract.query": "劳动合同咨询",
        "wages.arrears_complaint": "拖欠工资投诉",
        "insurance.unpaid_complaint": "未缴社保投诉",
        "employment.job_seeking": "求职登记与职业介绍",
        "training.query": "职业培训咨询",
        "housing_fund.query": "公积金咨询",
        "residence_permit.query": "居住证咨询",
        "other.policy_query": "其他政策咨询",
        "other.no_question": "无效来电",
    }
)


def is_known(code: str) -> bool:
    return code in DISPOSITIONS


PAUSE_REASONS: Mapping[str, str] = MappingProxyType(
    {
        "break": "小休",
        "lunch": "用餐",
        "meeting": "会议",
        "training": "培训",
        "coaching": "班长辅导",
        "after_call_work": "事后处理",
    }
)
"""Reasons an agent or supervisor may give; the controller adds 'missed offers' itself."""
