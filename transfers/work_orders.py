"""Work orders: what the hotline hands to a district office, validated and routed. Pure.

Three types: an ``inspection_complaint`` goes to the labour-inspection brigade of the employer's
district, an ``employment_referral`` to the employment centre of the job-seeker's district, a
``generic`` order to the office kind the agent chooses. The district comes from the address
(transfers/address.py); when the address is ambiguous or unknown, the agent names the district and
the order records that choice.

``create_work_order`` checks everything and reports every problem at once (WorkOrderInvalid,
with the field of each), computes the deadlines (transfers/deadlines.py) and numbers the order
``WO-YYYYMMDD-NNNN`` from a sequence the store hands out per day. The status machine is in
transfers/order_status.py.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from transfers.address import Outcome, resolve
from transfers.deadlines import (
    Deadline,
    DeadlineName,
    DeadlinePolicy,
    TypeDeadlines,
    urgent_due,
    working_day_deadline,
)
from transfers.directory import Directory, Office, OfficeKind

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_AMOUNT = Decimal("100000000")
MAX_WORKERS = 100_000
_NUMBER = re.compile(r"^WO-(\d{8})-(\d{4,})$")
_MASKED_NAME = re.compile(r"^([\u4e00-\u9fff]|[A-Za-z])\*{1,5}$")
_PHONE = re.compile(r"^\+?\d{5,20}$")


class OrderType(enum.StrEnum):
    INSPECTION_COMPLAINT = "inspection_complaint"
    EMPLOYMENT_REFERRAL = "employment_referral"
    GENERIC = "generic"


class Issue(enum.StrEnum):
    UNPAID_WAGES = "unpaid_wages"
    NO_SOCIAL_INSURANCE = "no_social_insurance"
    EXCESSIVE_OVERTIME = "excessive_overtime"
    NO_CONTRACT = "no_contract"
    OTHER = "other"


class AgeBand(enum.StrEnum):
    FROM_16 = "16-24"
    FROM_25 = "25-34"
    FROM_35 = "35-44"
    FROM_45 = "45-54"
    FROM_55 = "55+"


class OrderStatus(enum.StrEnum):
    NEW = "new"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"


@dataclass(frozen=True)
class InspectionComplaint:
    employer: str
    employer_address: str
    issues: frozenset[Issue]
    workers_affected: int
    amount_owed: Decimal | None = None
    """Wages owed in yuan (two decimals at most); required with unpaid_wages, only with it."""
    urgent: bool = False
    description: str = ""


@dataclass(frozen=True)
class EmploymentReferral:
    name_masked: str
    """The job-seeker's name as the office sees it: the family name and stars (张*)."""
    age_band: AgeBand
    skills: tuple[str, ...]
    wishes: str
    address: str
    """Where the job-seeker lives: the district whose employment centre visits."""


@dataclass(frozen=True)
class GenericRequest:
    office_kind: OfficeKind
    address: str
    subject: str
    description: str = ""


Details = InspectionComplaint | EmploymentReferral | GenericRequest


@dataclass(frozen=True)
class WorkOrderRequest:
    details: Details
    case_id: str
    caller_number: str
    """For the follow-up call; never published."""
    district_id: str | None = None
    """The agent's choice when the address does not settle the district."""


@dataclass(frozen=True)
class StatusStep:
    at: datetime
    from_status: str
    action: str
    to_status: str
    actor: str
    reason: str = ""

    def __str__(self) -> str:
        return f"{self.from_status} -[{self.action}]-> {self.to_status}"


@dataclass(frozen=True)
class WorkOrder:
    number: str
    order_type: OrderType
    details: Details
    case_id: str
    caller_number: str
    district_id: str
    office: Office
    created_at: datetime
    deadlines: tuple[Deadline, ...]
    district_chosen_by_agent: bool = False
    status: OrderStatus = OrderStatus.NEW
    version: int = 1
    """Raised by every status change: with the number, it names what was delivered."""
    escalated: frozenset[tuple[DeadlineName, int]] = frozenset()
    resolved_at: datetime | None = None
    history: tuple[StatusStep, ...] = ()

    @property
    def urgent(self) -> bool:
        return isinstance(self.details, InspectionComplaint) and self.details.urgent


@dataclass(frozen=True)
class Problem:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class WorkOrderInvalid(Exception):
    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(problem) for problem in self.problems))


ROUTES = {
    OrderType.INSPECTION_COMPLAINT: OfficeKind.INSPECTION_BRIGADE,
    OrderType.EMPLOYMENT_REFERRAL: OfficeKind.EMPLOYMENT_CENTRE,
}


def order_type_of(details: Details) -> OrderType:
    if isinstance(details, InspectionComplaint):
        return OrderType.INSPECTION_COMPLAINT
    if isinstance(details, EmploymentReferral):
        return OrderType.EMPLOYMENT_REFERRAL
    return OrderType.GENERIC


def office_kind_for(details: Details) -> OfficeKind:
    if isinstance(details, GenericRequest):
        return details.office_kind
    return ROUTES[order_type_of(details)]


def format_order_number(day: date, sequence: int) -> str:
    """``WO-20261128-0042``: the day (Shanghai time) and the day's sequence from 1. Past 9999 the
    number simply grows a digit (still unique)."""
    if sequence < 1:
        raise ValueError(f"an order's sequence starts at 1, not {sequence}")
    return f"WO-{day:%Y%m%d}-{sequence:04d}"


def parse_order_number(number: str) -> tuple[date, int]:
    match = _NUMBER.match(number)
    if match is None:
        raise ValueError(f"{number!r} is not an order number like WO-20261128-0042")
    try:
        day = datetime.strptime(match.group(1), "%Y%m%d").date()
    except ValueError:
        raise ValueError(f"{number!r} is not an order number: no day {match.group(1)}") from None
    return day, int(match.group(2))


def mask_name(name: str) -> str:
    """张三丰 → 张**; Li Lei → L*. Only the first character stays."""
    name = name.strip()
    if not name:
        raise ValueError("no name to mask")
    return name[0] + "*" * max(1, min(5, len(name.replace(" ", "")) - 1))


def validate(request: WorkOrderRequest, directory: Directory) -> tuple[str | None, list[Problem]]:
    """The district the order goes to (None if it cannot be settled) and every problem found."""
    problems = _check_details(request.details)
    if not _PHONE.match(request.caller_number):
        problems.append(Problem("caller_number", "5 to 20 digits, for the follow-up call"))
    if not request.case_id.strip():
        problems.append(Problem("case_id", "the order must belong to a case"))
    district, problem = _district(request, directory)
    if problem is not None:
        problems.append(problem)
    return district, problems


def create_work_order(
    request: WorkOrderRequest, directory: Directory, *, sequence: int, now: datetime,
    policy: DeadlinePolicy,
) -> WorkOrder:  # fmt: skip
    district_id, problems = validate(request, directory)
    if problems or district_id is None:
        raise WorkOrderInvalid(problems)
    office = directory.office(district_id, office_kind_for(request.details))
    order_type = order_type_of(request.details)
    number = format_order_number(now.astimezone(SHANGHAI).date(), sequence)
    urgent = isinstance(request.details, InspectionComplaint) and request.details.urgent
    return WorkOrder(
        number, order_type, request.details, request.case_id, request.caller_number, district_id,
        office, now, deadlines_for(order_type, urgent=urgent, created_at=now, office=office,
                                   policy=policy),
        district_chosen_by_agent=request.district_id is not None,
        history=(StatusStep(now, "", "create", OrderStatus.NEW, "agent"),),
    )  # fmt: skip


def deadlines_for(
    order_type: OrderType, *, urgent: bool, created_at: datetime, office: Office,
    policy: DeadlinePolicy,
) -> tuple[Deadline, ...]:  # fmt: skip
    hours = office.hours
    if urgent:
        due = urgent_due(created_at, policy, hours)
        again = due + policy.urgent_escalate_again_after
        resolve_by = working_day_deadline(
            DeadlineName.RESOLVE, created_at, policy.urgent_resolve_working_days, hours
        )
        return Deadline(DeadlineName.ACKNOWLEDGE, due, again), resolve_by
    days: TypeDeadlines = {
        OrderType.INSPECTION_COMPLAINT: policy.inspection,
        OrderType.EMPLOYMENT_REFERRAL: policy.referral,
        OrderType.GENERIC: policy.generic,
    }[order_type]
    acknowledge = days.acknowledge_working_days
    return (
        working_day_deadline(DeadlineName.ACKNOWLEDGE, created_at, acknowledge, hours),
        working_day_deadline(DeadlineName.RESOLVE, created_at, days.resolve_working_days, hours),
    )


def _district(request: WorkOrderRequest, directory: Directory) -> tuple[str | None, Problem | None]:
    field, address = _address(request.details)
    if request.district_id is not None:
        if request.district_id not in {d.id for d in directory.districts}:
            return None, Problem("district_id", f"no district {request.district_id!r}")
        found = resolve(directory, address)
        if found.outcome is Outcome.RESOLVED and found.district_id != request.district_id:
            named = directory.district(request.district_id).name
            return None, Problem(field, f"the address is in {found.reason}, not in {named}")
        return request.district_id, None
    found = resolve(directory, address)
    if found.outcome is Outcome.RESOLVED:
        return found.district_id, None
    return None, Problem(field, f"{found.reason}; name the district (district_id)")


def _address(details: Details) -> tuple[str, str]:
    if isinstance(details, InspectionComplaint):
        return "employer_address", details.employer_address
    return "address", details.address


def _check_details(details: Details) -> list[Problem]:
    if isinstance(details, InspectionComplaint):
        return _check_complaint(details)
    if isinstance(details, EmploymentReferral):
        return _check_referral(details)
    problems = _text("subject", details.subject, 1, 100)
    problems += _text("description", details.description, 0, 2000)
    return problems + _text("address", details.address, 2, 200)


def _check_complaint(c: InspectionComplaint) -> list[Problem]:
    problems = _text("employer", c.employer, 2, 100) + _text(
        "employer_address", c.employer_address, 2, 200
    )
    problems += _text("description", c.description, 0, 2000)
    if not c.issues:
        problems.append(Problem("issues", f"at least one of {', '.join(Issue)}"))
    if Issue.OTHER in c.issues and not c.description.strip():
        problems.append(Problem("description", "say what the 'other' issue is"))
    if not 1 <= c.workers_affected <= MAX_WORKERS:
        problems.append(Problem("workers_affected", f"from 1 to {MAX_WORKERS}"))
    if Issue.UNPAID_WAGES in c.issues:
        problems += _amount(c.amount_owed)
    elif c.amount_owed is not None:
        problems.append(Problem("amount_owed", "only with the unpaid_wages issue"))
    return problems


def _amount(amount: Decimal | None) -> list[Problem]:
    if amount is None:
        return [Problem("amount_owed", "required with unpaid_wages (yuan)")]
    try:
        exponent = amount.as_tuple().exponent
        valid = amount.is_finite() and isinstance(exponent, int) and exponent >= -2
        if valid and 0 < amount <= MAX_AMOUNT:
            return []
    except InvalidOperation:  # pragma: no cover - comparisons of finite decimals do not raise
        pass
    return [Problem("amount_owed", f"yuan above 0 and at most {MAX_AMOUNT}, two decimals at most")]


def _check_referral(r: EmploymentReferral) -> list[Problem]:
    problems = []
    if not _MASKED_NAME.match(r.name_masked):
        problems.append(
            Problem("name_masked", "the family name and stars, e.g. 张* (see mask_name)")
        )
    if len(r.skills) > 20:
        problems.append(Problem("skills", "20 at most"))
    for index, skill in enumerate(r.skills):
        problems += _text(f"skills[{index}]", skill, 1, 30)
    if len(set(r.skills)) != len(r.skills):
        problems.append(Problem("skills", "a skill is listed twice"))
    return problems + _text("wishes", r.wishes, 0, 500) + _text("address", r.address, 2, 200)


def _text(field: str, value: str, shortest: int, longest: int) -> list[Problem]:
    length = len(value.strip())
    if length < shortest:
        return [Problem(field, "required" if shortest == 1 else f"at least {shortest} characters")]
    if len(value) > longest:
        return [Problem(field, f"{longest} characters at most")]
    if any(ord(char) < 32 and char not in "\n\t" for char in value):
        return [Problem(field, "control characters are not allowed")]
    return []
