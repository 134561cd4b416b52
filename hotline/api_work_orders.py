"""API for work orders: agents create and read them (the number is read to the caller), offices
report progress through a supervisor or admin token, admins see and replay dead letters."""

# No "from __future__ import annotations": FastAPI reads the handlers' annotations at
# definition time (see hotline.api).
import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI
from pydantic import BaseModel, Field

from hotline.api_base import ApiContext, ApiError, TokenVerifier, require
from hotline.storage import Role, TokenRecord
from hotline.storage.wo_records import OutboxRecord, WorkOrderRecord
from hotline.storage.wo_store import OrderNotFound
from hotline.work_order_codec import office_json
from hotline.work_order_desk import StatusUnknown, WorkOrderDesk, action_for
from transfers.address import resolve
from transfers.directory import OfficeKind
from transfers.order_status import Actor, ChangeRefused, InvalidOrderTransition, OrderAction
from transfers.outbox import EntryState, replay
from transfers.work_orders import (
    AgeBand,
    Details,
    EmploymentReferral,
    GenericRequest,
    InspectionComplaint,
    Issue,
    OrderStatus,
    WorkOrderInvalid,
    WorkOrderRequest,
)

ADDRESS_FIELDS = ("employer_address", "address")
OFFICE_ACTIONS = frozenset({OrderAction.ACKNOWLEDGE, OrderAction.START, OrderAction.RESOLVE,
                            OrderAction.MISROUTED})  # fmt: skip


class _Common(BaseModel):
    call_id: str = Field(min_length=1, max_length=150)
    """The call the order is made on (its uniqueid)."""
    caller_number: str | None = Field(default=None, max_length=32)
    """For the follow-up call; taken from the call when the controller still knows it."""
    district_id: str | None = Field(default=None, max_length=40)
    """The agent's choice when the address does not settle the district."""


class ComplaintIn(_Common):
    type: Literal["inspection_complaint"]
    employer: str = Field(max_length=100)
    employer_address: str = Field(max_length=200)
    issues: list[Issue] = Field(max_length=5)
    workers_affected: int
    amount_owed: Decimal | None = None
    urgent: bool = False
    description: str = Field(default="", max_length=2000)


class ReferralIn(_Common):
    type: Literal["employment_referral"]
    name_masked: str = Field(max_length=10)
    age_band: AgeBand
    skills: list[str] = Field(default_factory=list, max_length=20)
    wishes: str = Field(default="", max_length=500)
    address: str = Field(max_length=200)


class GenericIn(_Common):
    type: Literal["generic"]
    office_kind: OfficeKind
    address: str = Field(max_length=200)
    subject: str = Field(max_length=100)
    description: str = Field(default="", max_length=2000)


WorkOrderIn = Annotated[ComplaintIn | ReferralIn | GenericIn, Field(discriminator="type")]


class StatusIn(BaseModel):
    status: str = Field(max_length=20)
    """acknowledged, in_progress, resolved, closed, or new (misrouted: not our district)."""
    outcome: str = Field(default="", max_length=500)
    """What the office did (required with resolved), or why (misrouted, reopened, closed)."""


class WorkOrderOut(BaseModel):
    number: str
    version: int
    type: str
    status: str
    district_id: str
    office_kind: str
    office: str
    urgent: bool
    deadline_at: str
    deadlines: list[dict[str, str]]
    details: dict[str, Any]
    case_id: str
    caller_number: str
    created_at: str


def work_order_routes(app: FastAPI, ctx: ApiContext, verify: TokenVerifier) -> None:
    auth = Annotated[TokenRecord, Depends(verify)]

    @app.post("/api/v1/work-orders", status_code=201)
    async def create(body: WorkOrderIn, token: auth) -> dict[str, Any]:
        require(token, Role.AGENT)
        desk = _desk(ctx)
        request = WorkOrderRequest(_details(body), body.call_id, _caller(ctx, body),
                                   body.district_id)  # fmt: skip
        try:
            record = await desk.create(request, (token.agent_code or token.name)[:32])
        except WorkOrderInvalid as exc:
            problems = _problems(desk, exc, request.details)
            raise ApiError(422, "work_order.invalid", str(exc), problems) from None
        return _json(record)

    @app.get("/api/v1/work-orders/{number}")
    async def show(number: str, token: auth) -> dict[str, Any]:
        require(token, Role.AGENT)
        record = await asyncio.to_thread(ctx.store.get_work_order, number[:32])
        if record is None:
            raise ApiError(404, "work_order.unknown", f"no work order {number!r}")
        history = await asyncio.to_thread(ctx.store.work_order_history, record.number)
        return {**_json(record), "history": [
            {"at": e.at.isoformat(), "kind": e.kind, "action": e.action, "from": e.from_status,
             "to": e.to_status, "by": e.actor, "detail": e.detail} for e in history
        ]}  # fmt: skip

    @app.get("/api/v1/work-orders")
    async def listing(
        token: auth, status: str | None = None, district: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        require(token, Role.AGENT)
        found = await asyncio.to_thread(
            ctx.store.list_work_orders, status=status, district_id=district,
            limit=max(1, min(limit, 1000)),
        )  # fmt: skip
        return [_json(record) for record in found]

    @app.post("/api/v1/work-orders/{number}/status")
    async def change(number: str, body: StatusIn, token: auth) -> dict[str, Any]:
        require(token, Role.SUPERVISOR)
        desk = _desk(ctx)
        current = await asyncio.to_thread(ctx.store.get_work_order, number[:32])
        if current is None:
            raise ApiError(404, "work_order.unknown", f"no work order {number!r}")
        actor = _actor(current, body, token)
        try:
            record = await desk.change(
                current.number, body.status, actor=actor, who=f"{actor}:{token.name}",
                outcome=body.outcome,
            )  # fmt: skip
        except (StatusUnknown, ChangeRefused) as exc:
            raise ApiError(422, "work_order.refused", str(exc)) from None
        except InvalidOrderTransition as exc:
            raise ApiError(409, "work_order.transition", str(exc)) from None
        except OrderNotFound:
            raise ApiError(404, "work_order.unknown", f"no work order {number!r}") from None
        return _json(record)

    @app.get("/api/v1/outbox/dead-letters")
    async def dead_letters(token: auth, limit: int = 100) -> list[dict[str, Any]]:
        require(token, Role.ADMIN)
        found = await asyncio.to_thread(
            ctx.store.outbox_entries, state=EntryState.DEAD, limit=max(1, min(limit, 1000))
        )
        return [_outbox_json(record) for record in found]

    @app.post("/api/v1/outbox/{entry_id}/replay")
    async def replay_entry(entry_id: int, token: auth) -> dict[str, Any]:
        require(token, Role.ADMIN)
        now = datetime.now(UTC)
        try:
            record = await asyncio.to_thread(
                ctx.store.replay_outbox, entry_id, lambda entry: replay(entry, now)
            )
        except ValueError as exc:
            raise ApiError(409, "outbox.not_dead", str(exc)) from None
        if record is None:
            raise ApiError(404, "outbox.unknown", f"no outbox entry {entry_id}")
        _desk(ctx).wake()
        return _outbox_json(record)


def _desk(ctx: ApiContext) -> WorkOrderDesk:
    if ctx.work_orders is None:
        raise ApiError(503, "work_order.unavailable", "work orders are not set up here")
    return ctx.work_orders


def _caller(ctx: ApiContext, body: ComplaintIn | ReferralIn | GenericIn) -> str:
    if body.caller_number:
        return body.caller_number
    trace = ctx.controller.trace(body.call_id)
    if trace is None or not trace.caller_number:
        raise ApiError(422, "work_order.caller_unknown",
                       f"call {body.call_id!r} is not one the controller remembers; "
                       "give caller_number for the follow-up call")  # fmt: skip
    return trace.caller_number


def _details(body: ComplaintIn | ReferralIn | GenericIn) -> Details:
    if isinstance(body, ComplaintIn):
        return InspectionComplaint(
            body.employer, body.employer_address, frozenset(body.issues), body.workers_affected,
            body.amount_owed, body.urgent, body.description,
        )  # fmt: skip
    if isinstance(body, ReferralIn):
        return EmploymentReferral(body.name_masked, body.age_band, tuple(body.skills),
                                  body.wishes, body.address)  # fmt: skip
    return GenericRequest(body.office_kind, body.address, body.subject, body.description)


def _problems(desk: WorkOrderDesk, exc: WorkOrderInvalid, details: Details) -> list[dict[str, Any]]:
    """Every problem, and for an address the districts it could be in: the agent asks the
    caller which, adds a 街道/镇 name, or names the district (district_id)."""
    problems: list[dict[str, Any]] = []
    for problem in exc.problems:
        item: dict[str, Any] = {"field": problem.field, "message": problem.message}
        if problem.field in ADDRESS_FIELDS:
            found = resolve(desk.directory, getattr(details, problem.field, ""))
            item["candidates"] = [
                {"district_id": did, "name": desk.directory.district(did).name}
                for did in found.candidates
            ]
        problems.append(item)
    return problems


def _actor(current: WorkOrderRecord, body: StatusIn, token: TokenRecord) -> Actor:
    """Offices' feedback comes through supervisors' tokens; a close without resolution is an
    administrator's."""
    try:
        action = action_for(OrderStatus(current.status), body.status)
    except (StatusUnknown, ValueError) as exc:
        raise ApiError(422, "work_order.refused", str(exc)) from None
    if action is OrderAction.RESOLVE and not body.outcome.strip():
        raise ApiError(422, "work_order.outcome_missing",
                       "say what the office did (outcome) when resolving")  # fmt: skip
    if action is OrderAction.ADMIN_CLOSE:
        require(token, Role.ADMIN)
        return Actor.ADMIN
    return Actor.OFFICE if action in OFFICE_ACTIONS else Actor.AGENT


def _json(record: WorkOrderRecord) -> dict[str, Any]:
    data = WorkOrderOut(**office_json(record)).model_dump()
    data["follow_up_due_at"] = _iso(record.follow_up_due_at)
    data["resolved_at"] = _iso(record.resolved_at)
    return data


def _outbox_json(record: OutboxRecord) -> dict[str, Any]:
    e = record.entry
    return {
        "id": record.id, "order_number": e.order_number, "version": e.version,
        "destination": e.destination, "kind": e.kind.value, "state": e.state.value,
        "attempts": e.attempts, "last_error": e.last_error, "dead_reason": e.dead_reason,
        "replays": e.replays, "created_at": e.created_at.isoformat(),
        "next_attempt_at": e.next_attempt_at.isoformat(),
    }  # fmt: skip


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
