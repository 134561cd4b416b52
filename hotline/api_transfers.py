"""API for window connections: an agent connects the caller to a district window, then leaves;
a supervisor joins the conference, listening."""

# No "from __future__ import annotations": FastAPI reads the handlers' annotations at
# definition time (see hotline.api).
import asyncio
from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import Depends, FastAPI
from pydantic import BaseModel, Field

from hotline.api_base import ApiContext, ApiError, TokenVerifier, require
from hotline.calls import CallTrace
from hotline.storage import Role, TokenRecord
from hotline.window_desk import WindowDesk, WindowError
from transfers.address import resolve
from transfers.case import Step
from transfers.directory import Directory, Office, OfficeKind
from transfers.effects import MemberMode
from transfers.machine import WindowTransfer

SUMMARY_MAX = 300
KINDS = ", ".join(kind.value for kind in OfficeKind)


class WindowRequest(BaseModel):
    district: str | None = None
    """A district id (changning) or name (长宁区); or give ``address``."""
    address: str | None = None
    office_kind: str
    summary: str = Field(min_length=1, max_length=SUMMARY_MAX)


class SupervisorRequest(BaseModel):
    seat: str
    mode: MemberMode = MemberMode.LISTEN
    """listen: joins muted (silent monitoring); talk: heard by everyone in the room (barge)."""


def transfer_routes(app: FastAPI, ctx: ApiContext, verify: TokenVerifier) -> None:
    auth = Annotated[TokenRecord, Depends(verify)]

    @app.post("/api/v1/calls/{call_id}/window")
    async def connect_window(call_id: str, body: WindowRequest, token: auth) -> dict[str, Any]:
        require(token, Role.AGENT)
        desk = _desk(ctx)
        trace = call_with(ctx, call_id, token)
        office = _office(desk.directory, body)
        try:
            transfer = await desk.request(call_id, trace.agent or "", office, body.summary)
        except WindowError as exc:
            raise ApiError(409, exc.error_id, str(exc)) from None
        return transfer_json(transfer)

    @app.post("/api/v1/transfers/{case_id}/leave")
    async def leave(case_id: str, token: auth) -> dict[str, Any]:
        require(token, Role.AGENT)
        desk = _desk(ctx)
        _own(desk, case_id, token)
        return transfer_json(_acting(lambda: desk.leave(case_id)))

    @app.post("/api/v1/transfers/{case_id}/supervisor")
    async def supervise(case_id: str, body: SupervisorRequest, token: auth) -> dict[str, Any]:
        require(token, Role.SUPERVISOR)
        if body.seat not in ctx.seats:
            raise ApiError(422, "seat.unknown", f"no seat {body.seat!r} (seat001, seat002...)")
        desk = _desk(ctx)
        return transfer_json(_acting(lambda: desk.supervise(case_id, body.seat, body.mode)))

    @app.get("/api/v1/transfers/{case_id}")
    async def transfer(case_id: str, token: auth) -> dict[str, Any]:
        require(token, Role.AGENT)
        found = await asyncio.to_thread(ctx.store.get_transfer, case_id)
        if found is None:
            raise ApiError(404, "transfer.unknown", f"no transfer {case_id!r}")
        record, steps = found
        if token.role is Role.AGENT and record.agent != token.agent_code:
            raise ApiError(403, "transfer.not_yours", "this transfer is another agent's")
        return {
            "case_id": record.case_id, "call_id": record.call_id, "agent": record.agent,
            "office": record.office_endpoint, "state": record.state, "reason": record.reason,
            "finished": record.finished,
            "steps": steps_json(steps),
        }  # fmt: skip


def steps_json(steps: Sequence[Step]) -> list[dict[str, str]]:
    """A transfer's steps as the API shows them, in order."""
    return [
        {"at": s.at.isoformat(), "from": s.from_state, "event": s.event, "to": s.to_state}
        for s in steps
    ]


def _desk(ctx: ApiContext) -> WindowDesk:
    if ctx.windows is None:
        raise ApiError(503, "transfer.unavailable", "window connections are not running")
    return ctx.windows


def call_with(ctx: ApiContext, call_id: str, token: TokenRecord) -> CallTrace:
    """The call in progress, answered by the token's agent (or any agent, for a supervisor)."""
    trace = ctx.controller.trace(call_id)
    if trace is None or trace.ended_at is not None:
        raise ApiError(404, "call.unknown", f"no call {call_id!r} in progress")
    if trace.agent is None or trace.answered_at is None:
        raise ApiError(409, "call.not_answered", f"call {call_id} is not with an agent")
    if token.role is Role.AGENT and trace.agent != token.agent_code:
        raise ApiError(409, "call.not_yours", f"call {call_id} is not with {token.agent_code}")
    return trace


def _own(desk: WindowDesk, case_id: str, token: TokenRecord) -> None:
    transfer = desk.transfers.get(case_id)
    if transfer is None:
        raise ApiError(404, "transfer.unknown", f"no open transfer {case_id!r}")
    if token.role is Role.AGENT and transfer.agent_id != token.agent_code:
        raise ApiError(409, "transfer.not_yours", "this transfer is another agent's")


def _office(directory: Directory, body: WindowRequest) -> Office:
    try:
        kind = OfficeKind(body.office_kind)
    except ValueError:
        raise ApiError(422, "office.kind", f"office_kind must be one of: {KINDS}") from None
    return directory.district(_district(directory, body)).office(kind)


def _district(directory: Directory, body: WindowRequest) -> str:
    if body.district:
        for district in directory.districts:
            if body.district in (district.id, district.name, district.short):
                return district.id
        raise ApiError(422, "district.unknown", f"no district {body.district!r} in Shanghai")
    if not body.address:
        raise ApiError(422, "district.missing", "give the district or the caller's address")
    found = resolve(directory, body.address)
    if found.district_id is None:
        raise ApiError(422, f"address.{found.outcome.value}", found.reason)
    return found.district_id


def _acting(act: Callable[[], WindowTransfer]) -> WindowTransfer:
    try:
        return act()
    except WindowError as exc:
        status = 404 if exc.error_id == "transfer.unknown" else 409
        raise ApiError(status, exc.error_id, str(exc)) from None


def transfer_json(t: WindowTransfer) -> dict[str, Any]:
    return {
        "transfer_id": t.case.case_id, "call_id": t.case.call_id, "state": t.state.value,
        "reason": t.reason, "office": t.office.endpoint, "office_name": t.office.name,
        "conference": t.conference_id,
    }  # fmt: skip
