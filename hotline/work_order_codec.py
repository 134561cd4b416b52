"""Work orders to and from their stored records, and the JSON an office receives.

The pure order (transfers/work_orders.py) holds its office and deadlines as objects; the record
holds names and ISO times, and the office is found again in the directory when the order is read
back (so a directory edit of an office's name or hours applies to orders already made).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from hotline.storage.wo_records import WorkOrderRecord
from ivr.phone_numbers import mask_number
from transfers.deadlines import Deadline, DeadlineName
from transfers.directory import Directory, OfficeKind
from transfers.work_orders import (
    AgeBand,
    Details,
    EmploymentReferral,
    GenericRequest,
    InspectionComplaint,
    Issue,
    OrderStatus,
    OrderType,
    WorkOrder,
)


def details_json(details: Details) -> dict[str, Any]:
    if isinstance(details, InspectionComplaint):
        return {
            "employer": details.employer, "employer_address": details.employer_address,
            "issues": sorted(details.issues), "workers_affected": details.workers_affected,
            "amount_owed": None if details.amount_owed is None else str(details.amount_owed),
            "urgent": details.urgent, "description": details.description,
        }  # fmt: skip
    if isinstance(details, EmploymentReferral):
        return {
            "name_masked": details.name_masked, "age_band": details.age_band.value,
            "skills": list(details.skills), "wishes": details.wishes, "address": details.address,
        }  # fmt: skip
    return {
        "office_kind": details.office_kind.value, "address": details.address,
        "subject": details.subject, "description": details.description,
    }  # fmt: skip


def details_from_json(order_type: OrderType, data: dict[str, Any]) -> Details:
    if order_type is OrderType.INSPECTION_COMPLAINT:
        owed = data.get("amount_owed")
        return InspectionComplaint(
            data["employer"], data["employer_address"], frozenset(Issue(i) for i in data["issues"]),
            int(data["workers_affected"]), None if owed is None else Decimal(owed),
            bool(data.get("urgent", False)), data.get("description", ""),
        )  # fmt: skip
    if order_type is OrderType.EMPLOYMENT_REFERRAL:
        return EmploymentReferral(
            data["name_masked"], AgeBand(data["age_band"]), tuple(data["skills"]),
            data.get("wishes", ""), data["address"],
        )  # fmt: skip
    return GenericRequest(
        OfficeKind(data["office_kind"]), data["address"], data["subject"],
        data.get("description", ""),
    )  # fmt: skip


def to_record(order: WorkOrder, *, agent: str, updated_at: datetime,
              follow_up_due_at: datetime | None = None) -> WorkOrderRecord:  # fmt: skip
    return WorkOrderRecord(
        number=order.number, order_type=order.order_type.value, district_id=order.district_id,
        office_kind=order.office.kind.value, office=order.office.name,
        office_endpoint=order.office.endpoint, status=order.status.value, version=order.version,
        urgent=order.urgent, deadline_at=order.deadlines[0].due_at,
        deadlines=[_deadline_json(d) for d in order.deadlines],
        escalated=sorted(f"{name}:{level}" for name, level in order.escalated),
        details=details_json(order.details), case_id=order.case_id,
        caller_number=order.caller_number, agent=agent,
        district_chosen_by_agent=order.district_chosen_by_agent, created_at=order.created_at,
        updated_at=updated_at, resolved_at=order.resolved_at, follow_up_due_at=follow_up_due_at,
    )  # fmt: skip


def from_record(record: WorkOrderRecord, directory: Directory) -> WorkOrder:
    """The pure order again (without its history: the store keeps that in its own table)."""
    order_type = OrderType(record.order_type)
    escalated = set()
    for key in record.escalated:
        name, _, level = key.partition(":")
        escalated.add((DeadlineName(name), int(level)))
    return WorkOrder(
        record.number, order_type, details_from_json(order_type, record.details),
        record.case_id, record.caller_number, record.district_id,
        directory.office(record.district_id, OfficeKind(record.office_kind)), record.created_at,
        tuple(_deadline(d) for d in record.deadlines), record.district_chosen_by_agent,
        OrderStatus(record.status), record.version, frozenset(escalated), record.resolved_at,
    )  # fmt: skip


def office_json(record: WorkOrderRecord) -> dict[str, Any]:
    """What the office receives (and what the API shows): the caller's number masked; the full
    number stays with the hotline, which makes the follow-up call."""
    return {
        "number": record.number, "version": record.version, "type": record.order_type,
        "status": record.status, "district_id": record.district_id,
        "office_kind": record.office_kind, "office": record.office, "urgent": record.urgent,
        "deadline_at": record.deadline_at.isoformat(), "deadlines": record.deadlines,
        "details": record.details, "case_id": record.case_id,
        "caller_number": mask_number(record.caller_number),
        "created_at": record.created_at.isoformat(),
    }  # fmt: skip


def _deadline_json(deadline: Deadline) -> dict[str, str]:
    return {
        "name": deadline.name.value, "due_at": deadline.due_at.isoformat(),
        "escalate_again_at": deadline.escalate_again_at.isoformat(),
    }  # fmt: skip


def _deadline(data: dict[str, str]) -> Deadline:
    return Deadline(
        DeadlineName(data["name"]), datetime.fromisoformat(data["due_at"]),
        datetime.fromisoformat(data["escalate_again_at"]),
    )  # fmt: skip
