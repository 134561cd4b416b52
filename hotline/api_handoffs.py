"""API for blind and warm transfers to another queue or agent, the case going with the caller.

``POST /api/v1/calls/{id}/transfer`` (the call's agent, or a supervisor) hands the caller over:
blind at once, warm after the agent has consulted the target (``.../complete`` or ``/cancel``).
"""

# No "from __future__ import annotations": FastAPI reads the handlers' annotations at
# definition time (see hotline.api).
import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI
from pydantic import BaseModel, Field

from hotline.api_base import ApiContext, ApiError, TokenVerifier, require
from hotline.api_transfers import call_with, steps_json
from hotline.handoff_desk import HandoffDesk, HandoffError
from hotline.storage import Role, TokenRecord
from transfers.handoff import Handoff, HandoffKind, Target, TargetKind

NOTE_MAX = 300
REFUSED_AS_INPUT = frozenset(
    {"queue.unknown", "agent.unavailable", "agent.self", "target.warm_queue"}
)
"""Error ids that are the request's fault (422); the others are the call's or the transfer's
state (409), or an unknown transfer (404)."""


class TransferRequest(BaseModel):
    kind: HandoffKind
    queue: str | None = None
    """The queue to hand the caller to (blind only); or give ``agent``."""
    agent: str | None = None
    note: str = Field(default="", max_length=NOTE_MAX)
    """What the next agent should know (it goes with the caller, on their screen-pop)."""


def handoff_routes(app: FastAPI, ctx: ApiContext, verify: TokenVerifier) -> None:
    auth = Annotated[TokenRecord, Depends(verify)]

    @app.post("/api/v1/calls/{call_id}/transfer")
    async def transfer(call_id: str, body: TransferRequest, token: auth) -> dict[str, Any]:
        require(token, Role.AGENT)
        desk = _desk(ctx)
        target = _target(body)
        trace = call_with(ctx, call_id, token)
        handoff = await _acting_async(desk.request(
            call_id, trace.agent or "", body.kind, target, body.note,
            queue=trace.queue or "general", topic=trace.topic or "",
        ))  # fmt: skip
        return handoff_json(handoff)

    @app.post("/api/v1/transfers/{case_id}/complete")
    async def complete(case_id: str, token: auth) -> dict[str, Any]:
        require(token, Role.AGENT)
        desk = _own(ctx, case_id, token)
        return handoff_json(_acting(lambda: desk.complete(case_id)))

    @app.post("/api/v1/transfers/{case_id}/cancel")
    async def cancel(case_id: str, token: auth) -> dict[str, Any]:
        require(token, Role.AGENT)
        desk = _own(ctx, case_id, token)
        return handoff_json(_acting(lambda: desk.cancel(case_id)))

    @app.get("/api/v1/handoffs/{case_id}")
    async def shown(case_id: str, token: auth) -> dict[str, Any]:
        require(token, Role.AGENT)
        found = await asyncio.to_thread(ctx.store.get_handoff, case_id)
        if found is None:
            raise ApiError(404, "transfer.unknown", f"no transfer {case_id!r}")
        record, steps = found
        if token.role is Role.AGENT and token.agent_code not in (record.agent, record.received_by):
            raise ApiError(403, "transfer.not_yours", "this transfer is another agent's")
        return {
            "transfer_id": record.case_id, "call_id": record.call_id, "kind": record.kind,
            "agent": record.agent, "target_kind": record.target_kind, "target": record.target,
            "note": record.note, "topic": record.topic, "received_by": record.received_by,
            "state": record.state, "reason": record.reason, "finished": record.finished,
            "steps": steps_json(steps),
        }  # fmt: skip


def _desk(ctx: ApiContext) -> HandoffDesk:
    if ctx.handoffs is None:
        raise ApiError(503, "transfer.unavailable", "transfers are not running")
    return ctx.handoffs


def _target(body: TransferRequest) -> Target:
    if (body.queue is None) == (body.agent is None):
        raise ApiError(422, "target.missing", 'give either "queue" or "agent" (not both)')
    if body.queue is not None:
        return Target(TargetKind.QUEUE, body.queue)
    assert body.agent is not None
    return Target(TargetKind.AGENT, body.agent)


def _own(ctx: ApiContext, case_id: str, token: TokenRecord) -> HandoffDesk:
    desk = _desk(ctx)
    handoff = desk.handoffs.get(case_id)
    if handoff is None:
        raise ApiError(404, "transfer.unknown", f"no open transfer {case_id!r}")
    if token.role is Role.AGENT and handoff.agent_id != token.agent_code:
        raise ApiError(409, "transfer.not_yours", "this transfer is another agent's")
    return desk


def _status(exc: HandoffError) -> ApiError:
    status = 422 if exc.error_id in REFUSED_AS_INPUT else 409
    if exc.error_id == "transfer.unknown":
        status = 404
    elif exc.error_id == "asterisk.unavailable":
        status = 503
    return ApiError(status, exc.error_id, str(exc))


async def _acting_async(act: Awaitable[Handoff]) -> Handoff:
    try:
        return await act
    except HandoffError as exc:
        raise _status(exc) from None


def _acting(act: Callable[[], Handoff]) -> Handoff:
    try:
        return act()
    except HandoffError as exc:
        raise _status(exc) from None


def handoff_json(h: Handoff) -> dict[str, Any]:
    return {
        "transfer_id": h.case.case_id, "call_id": h.case.call_id, "kind": h.kind.value,
        "state": h.state.value, "reason": h.reason, "target_kind": h.target.kind.value,
        "target": h.target.name, "agent": h.agent_id, "note": h.case.summary,
    }  # fmt: skip
