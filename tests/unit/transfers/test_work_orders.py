"""Work orders: validation with clear errors, routing to the district's office, numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tests.unit.transfers.conftest import DIRECTORY, at
from transfers.deadlines import DeadlinePolicy
from transfers.directory import OfficeKind
from transfers.work_orders import (
    AgeBand,
    EmploymentReferral,
    GenericRequest,
    InspectionComplaint,
    Issue,
    OrderStatus,
    OrderType,
    WorkOrderInvalid,
    WorkOrderRequest,
    create_work_order,
    format_order_number,
    mask_name,
    parse_order_number,
)

NOW = at(2026, 11, 25, 10, 30)
POLICY = DeadlinePolicy()
COMPLAINT = InspectionComplaint(
    employer="上海某某建筑劳务有限公司",
    employer_address="浦东新区张江镇科苑路88号",
    issues=frozenset({Issue.UNPAID_WAGES, Issue.NO_CONTRACT}),
    workers_affected=23,
    amount_owed=Decimal("186500.00"),
    urgent=True,
)
REFERRAL = EmploymentReferral(
    "王*", AgeBand.FROM_35, ("电工", "叉车"), "希望在家附近上班", "长宁区新泾镇"
)


def request(details: object = COMPLAINT, **changes: object) -> WorkOrderRequest:
    fields = {"details": details, "case_id": "case-1", "caller_number": "13800138000", **changes}
    return WorkOrderRequest(**fields)  # type: ignore[arg-type]


def problems_of(req: WorkOrderRequest) -> list[str]:
    with pytest.raises(WorkOrderInvalid) as caught:
        create_work_order(req, DIRECTORY, sequence=1, now=NOW, policy=POLICY)
    return [str(problem) for problem in caught.value.problems]


def test_an_inspection_complaint_goes_to_the_inspection_brigade_of_the_employers_district() -> None:
    order = create_work_order(request(), DIRECTORY, sequence=42, now=NOW, policy=POLICY)
    assert order.number == "WO-20261125-0042"
    assert order.order_type is OrderType.INSPECTION_COMPLAINT
    assert order.district_id == "pudong"
    assert order.office.kind is OfficeKind.INSPECTION_BRIGADE
    assert order.office.endpoint == "win-pudong-insp"
    assert order.status is OrderStatus.NEW
    assert order.version == 1
    assert order.urgent
    assert not order.district_chosen_by_agent


def test_an_employment_referral_goes_to_the_employment_centre_where_the_job_seeker_lives() -> None:
    order = create_work_order(request(REFERRAL), DIRECTORY, sequence=1, now=NOW, policy=POLICY)
    assert (order.district_id, order.office.kind) == ("changning", OfficeKind.EMPLOYMENT_CENTRE)
    assert not order.urgent


def test_a_generic_order_goes_to_the_office_kind_the_agent_chose() -> None:
    details = GenericRequest(OfficeKind.DISPUTE_ARBITRATION, "闵行区莘庄镇", "仲裁进度查询")
    order = create_work_order(request(details), DIRECTORY, sequence=1, now=NOW, policy=POLICY)
    assert order.office.endpoint == "win-minhang-arb"


def test_given_an_ambiguous_address_then_the_agent_is_asked_to_name_the_district() -> None:
    details = GenericRequest(OfficeKind.SOCIAL_INSURANCE_WINDOW, "虹桥", "社保卡补办")
    [problem] = problems_of(request(details))
    assert problem.startswith("address: 虹桥 point to several districts: 长宁区、闵行区")
    assert problem.endswith("name the district (district_id)")
    order = create_work_order(
        request(details, district_id="minhang"), DIRECTORY, sequence=1, now=NOW, policy=POLICY
    )
    assert order.district_id == "minhang"
    assert order.district_chosen_by_agent


def test_given_a_district_that_contradicts_the_address_then_it_is_refused() -> None:
    [problem] = problems_of(request(district_id="changning"))
    assert problem.startswith("employer_address: the address is in")
    assert problem.endswith("not in 长宁区")


def test_given_an_unknown_district_then_it_is_refused() -> None:
    assert problems_of(request(district_id="beijing")) == ["district_id: no district 'beijing'"]


def test_every_problem_of_a_complaint_is_reported_at_once() -> None:
    bad = InspectionComplaint(
        employer="某", employer_address="北京市朝阳区", issues=frozenset({Issue.OTHER}),
        workers_affected=0, amount_owed=Decimal("100"),
    )  # fmt: skip
    assert problems_of(request(bad, caller_number="12")) == [
        "employer: at least 2 characters",
        "description: say what the 'other' issue is",
        "workers_affected: from 1 to 100000",
        "amount_owed: only with the unpaid_wages issue",
        "caller_number: 5 to 20 digits, for the follow-up call",
        "employer_address: no district, 街道, 镇 or 乡 name found; name the district (district_id)",
    ]


@pytest.mark.parametrize(
    ("amount", "ok"),
    [
        (Decimal("0.01"), True),
        (Decimal("186500.5"), True),
        (Decimal("100000000"), True),
        (None, False),
        (Decimal(0), False),
        (Decimal("-5"), False),
        (Decimal("12.345"), False),
        (Decimal("100000000.01"), False),
        (Decimal("NaN"), False),
        (Decimal("Infinity"), False),
    ],
)
def test_wages_owed_are_yuan_above_zero_with_two_decimals_at_most(
    amount: Decimal | None, ok: bool
) -> None:
    complaint = InspectionComplaint(
        "某某公司", "浦东新区", frozenset({Issue.UNPAID_WAGES}), 1, amount
    )
    req = request(complaint)
    if ok:
        create_work_order(req, DIRECTORY, sequence=1, now=NOW, policy=POLICY)
    else:
        assert [p.split(":")[0] for p in problems_of(req)] == ["amount_owed"]


def test_a_complaint_needs_at_least_one_issue() -> None:
    complaint = InspectionComplaint("某某公司", "浦东新区", frozenset(), 1)
    assert problems_of(request(complaint))[0].startswith("issues: at least one of unpaid_wages")


def test_a_referral_carries_a_masked_name_only() -> None:
    bad = EmploymentReferral("王小明", AgeBand.FROM_16, ("电工", "电工", "x" * 31), "", "长宁区")
    assert problems_of(request(bad)) == [
        "name_masked: the family name and stars, e.g. 张* (see mask_name)",
        "skills[2]: 30 characters at most",
        "skills: a skill is listed twice",
    ]


@pytest.mark.parametrize(
    ("name", "masked"),
    [("王小明", "王**"), ("欧阳娜娜", "欧***"), ("Li Lei", "L****"), ("张", "张*")],
)
def test_mask_name_keeps_only_the_first_character(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_control_characters_in_text_are_refused() -> None:
    details = GenericRequest(OfficeKind.SOCIAL_INSURANCE_WINDOW, "长宁区", "补办\x00社保卡")
    assert problems_of(request(details)) == ["subject: control characters are not allowed"]


@pytest.mark.parametrize(
    ("day", "sequence", "number"),
    [
        (date(2026, 11, 28), 42, "WO-20261128-0042"),
        (date(2026, 1, 1), 1, "WO-20260101-0001"),
        (date(2026, 1, 1), 12345, "WO-20260101-12345"),
    ],
)
def test_order_numbers_are_the_day_and_its_sequence(day: date, sequence: int, number: str) -> None:
    assert format_order_number(day, sequence) == number
    assert parse_order_number(number) == (day, sequence)


def test_order_numbers_are_unique_for_distinct_days_and_sequences() -> None:
    numbers = {
        format_order_number(date(2026, 11, d), s) for d in range(1, 29) for s in range(1, 200)
    }
    assert len(numbers) == 28 * 199


@pytest.mark.parametrize(
    "number", ["WO-2026112-0001", "wo-20261128-0001", "WO-20261128-01", "WO-20261399-0001"]
)
def test_a_malformed_order_number_is_refused(number: str) -> None:
    with pytest.raises(ValueError, match="is not an order number"):
        parse_order_number(number)


def test_a_sequence_starts_at_one() -> None:
    with pytest.raises(ValueError, match="starts at 1"):
        format_order_number(date(2026, 11, 28), 0)


def test_the_number_uses_the_shanghai_date_even_late_at_night_in_utc() -> None:
    late = datetime(2026, 11, 27, 17, 30, tzinfo=UTC)  # 01:30 on the 28th in Shanghai
    order = create_work_order(request(REFERRAL), DIRECTORY, sequence=7, now=late, policy=POLICY)
    assert order.number == "WO-20261128-0007"
