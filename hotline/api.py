"""The HTTP JSON API (FastAPI, OpenAPI document at /api/v1/openapi.json) and /metrics.

Everything except /healthz needs a bearer token (``hotline token create``). Roles: an agent
may log itself in and out; a supervisor sees calls and agents and may log anyone in or out;
an admin may do everything. Errors carry a stable id: {"error": {"id": ..., "message": ...}}.
"""

# No "from __future__ import annotations": FastAPI reads the handlers' annotations at
# definition time, and the local `auth` alias below must resolve there.
import asyncio
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from hotline.api_base import (
    ApiContext,
    ApiError,
    TokenVerifier,
    require,
    require_self_or,
)
from hotline.api_followups import followup_routes
from hotline.api_handoffs import handoff_routes
from hotline.api_ivr import ivr_routes
from hotline.api_kb import kb_routes
from hotline.api_transfers import transfer_routes
from hotline.api_work_orders import work_order_routes
from hotline.storage import CallRecord, Role, TokenRecord
from queues.dispositions import DISPOSITIONS, PAUSE_REASONS, is_known
from queues.router import RoutingError


class LoginRequest(BaseModel):
    seat: str


class PauseRequest(BaseModel):
    reason: str


class WrapupRequest(BaseModel):
    disposition: str | None = None


class AgentOut(BaseModel):
    agent: str
    seat: str
    state: str
    call_id: str | None
    pause_reason: str | None = None


def build_app(ctx: ApiContext) -> FastAPI:
    app = FastAPI(
        title="hotline",
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served below, behind authentication
    )
    verify = TokenVerifier(ctx.store)
    auth = Annotated[TokenRecord, Depends(verify)]

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        error: dict[str, Any] = {"id": exc.error_id, "message": exc.message}
        if exc.problems is not None:
            error["problems"] = exc.problems
        body = {"error": error}
        return JSONResponse(body, status_code=exc.status)

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", **ctx.health()}

    @app.get("/api/v1/openapi.json")
    async def openapi(_token: auth) -> dict[str, Any]:
        return app.openapi()

    @app.get("/metrics")
    async def metrics(token: auth) -> Response:
        require(token, Role.SUPERVISOR)
        return Response(generate_latest(ctx.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    _agent_routes(app, ctx, verify)
    followup_routes(app, ctx, verify)
    ivr_routes(app, ctx, verify)
    kb_routes(app, ctx, verify)
    transfer_routes(app, ctx, verify)
    handoff_routes(app, ctx, verify)
    work_order_routes(app, ctx, verify)

    @app.get("/api/v1/calls")
    async def calls(token: auth, limit: int = 100) -> list[dict[str, Any]]:
        require(token, Role.SUPERVISOR)
        records = await asyncio.to_thread(ctx.store.list_calls, None, max(1, min(limit, 1000)))
        return [call_json(r) for r in records]

    @app.get("/api/v1/calls/{uniqueid}")
    async def call(uniqueid: str, token: auth) -> dict[str, Any]:
        require(token, Role.SUPERVISOR)
        record = await asyncio.to_thread(ctx.store.get_call, uniqueid)
        if record is None:
            raise ApiError(404, "call.unknown", f"no call {uniqueid!r} (in progress or unknown)")
        return call_json(record)

    return app


def _agent_routes(app: FastAPI, ctx: ApiContext, verify: TokenVerifier) -> None:
    """Log-in, log-out, pause, wrap-up: what agents (and supervisors for them) do."""
    auth = Annotated[TokenRecord, Depends(verify)]

    @app.get("/api/v1/agents")
    async def agents(token: auth) -> list[AgentOut]:
        require(token, Role.SUPERVISOR)
        return [agent_out(ctx, code) for code in sorted(ctx.controller.router.agents)]

    @app.post("/api/v1/agents/{agent}/login")
    async def login(agent: str, body: LoginRequest, token: auth) -> AgentOut:
        require_self_or(token, agent, Role.SUPERVISOR)
        if body.seat not in ctx.seats:
            raise ApiError(404, "seat.unknown", f"no seat named {body.seat!r}")
        record = await asyncio.to_thread(ctx.store.get_agent, agent)
        if record is None or not record.active:
            message = f"no active agent {agent!r}; add it with 'hotline agent add'"
            raise ApiError(404, "agent.unknown", message)
        try:
            change = ctx.controller.login(agent, body.seat, record.skills)
        except RoutingError as exc:
            raise ApiError(409, "agent.login_refused", str(exc)) from None
        return AgentOut(agent=agent, seat=change.seat, state=change.state, call_id=None)

    @app.post("/api/v1/agents/{agent}/logout")
    async def logout(agent: str, token: auth) -> AgentOut:
        require_self_or(token, agent, Role.SUPERVISOR)
        try:
            change = ctx.controller.logout(agent)
        except RoutingError as exc:
            raise ApiError(404, "agent.not_logged_in", str(exc)) from None
        return AgentOut(agent=agent, seat=change.seat, state=change.state, call_id=None)

    @app.post("/api/v1/agents/{agent}/pause")
    async def pause(agent: str, body: PauseRequest, token: auth) -> AgentOut:
        require_self_or(token, agent, Role.SUPERVISOR)
        if body.reason not in PAUSE_REASONS:
            known = ", ".join(sorted(PAUSE_REASONS))
            raise ApiError(422, "pause.unknown_reason", f"reason must be one of: {known}")
        try:
            ctx.controller.pause(agent, body.reason)
        except RoutingError as exc:
            raise ApiError(409, "agent.pause_refused", str(exc)) from None
        return agent_out(ctx, agent)

    @app.post("/api/v1/agents/{agent}/unpause")
    async def unpause(agent: str, token: auth) -> AgentOut:
        require_self_or(token, agent, Role.SUPERVISOR)
        try:
            ctx.controller.unpause(agent)
        except RoutingError as exc:
            raise ApiError(409, "agent.unpause_refused", str(exc)) from None
        return agent_out(ctx, agent)

    @app.post("/api/v1/agents/{agent}/wrapup")
    async def wrapup(agent: str, body: WrapupRequest, token: auth) -> AgentOut:
        """End wrap-up, recording the call's reason code (a disposition)."""
        require_self_or(token, agent, Role.SUPERVISOR)
        if body.disposition is not None and not is_known(body.disposition):
            raise ApiError(422, "disposition.unknown", f"unknown disposition {body.disposition!r}")
        try:
            ctx.controller.wrapup_done(agent, body.disposition)
        except RoutingError as exc:
            raise ApiError(409, "agent.wrapup_refused", str(exc)) from None
        return agent_out(ctx, agent)

    @app.get("/api/v1/dispositions")
    async def dispositions(_token: auth) -> dict[str, str]:
        return dict(DISPOSITIONS)


def agent_out(ctx: ApiContext, agent: str) -> AgentOut:
    slot = ctx.controller.router.agents.get(agent)
    if slot is None:
        raise ApiError(404, "agent.not_logged_in", f"agent {agent!r} is not logged in")
    return AgentOut(agent=agent, seat=slot.seat, state=slot.state, call_id=slot.call_id,
                    pause_reason=slot.pause_reason or None)  # fmt: skip


def call_json(record: CallRecord) -> dict[str, Any]:
    return {
        "uniqueid": record.uniqueid,
        "caller_number": record.caller_number,
        "dialed": record.dialed,
        "outcome": record.outcome.value,
        "arrived_at": record.arrived_at.isoformat(),
        "answered_at": record.answered_at.isoformat() if record.answered_at else None,
        "ended_at": record.ended_at.isoformat() if record.ended_at else None,
        "queue": record.queue,
        "agent": record.agent_code,
        "seat": record.seat,
        "wait_ms": record.wait_ms,
        "talk_ms": record.talk_ms,
        "fallback": record.fallback,
        "disposition": record.disposition,
        "steps": [
            {"at": s.at.isoformat(), "kind": s.kind.value, "detail": dict(s.detail)}
            for s in record.steps
        ],
    }
