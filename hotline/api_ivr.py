"""API for the IVR: the flow and its versions (admins), hot-topic announcements (admins),
path analytics and survey results (supervisors)."""

# No "from __future__ import annotations": FastAPI reads the handlers' annotations at
# definition time (see hotline.api).
import asyncio
from datetime import datetime, timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI
from pydantic import BaseModel, Field

from hotline.api_base import ApiContext, ApiError, TokenVerifier, require
from hotline.events import FlowChanged
from hotline.flow_library import FlowChange, FlowLibrary
from hotline.storage import HotTopic, Role, TokenRecord
from ivr.flow_paths import flow_paths
from ivr.flow_yaml import FlowError
from ivr.path_report import build_report, report_json

REPORT_DAYS = 7


class FlowRevert(BaseModel):
    version: int = Field(ge=1)


class HotTopicIn(BaseModel):
    text: str = Field(min_length=1, max_length=500)
    starts_at: datetime
    ends_at: datetime


def ivr_routes(app: FastAPI, ctx: ApiContext, verify: TokenVerifier) -> None:
    auth = Annotated[TokenRecord, Depends(verify)]

    @app.get("/api/v1/ivr/flow")
    async def current_flow(token: auth) -> dict[str, Any]:
        require(token, Role.SUPERVISOR)
        flows = _flows(ctx)
        stored = await asyncio.to_thread(
            ctx.store.get_flow_version, flows.current.name, flows.current.version
        )
        flow = flows.current
        return {
            "flow": flow.name, "version": flow.version, "nodes": len(flow.nodes),
            "paths": len(flow_paths(flow)), "source": stored.source if stored else None,
        }  # fmt: skip

    @app.get("/api/v1/ivr/flow/versions")
    async def flow_versions(token: auth, limit: int = 50) -> list[dict[str, Any]]:
        require(token, Role.SUPERVISOR)
        name = _flows(ctx).current.name
        found = await asyncio.to_thread(ctx.store.list_flow_versions, name, max(1, min(limit, 500)))
        return [
            {"version": v.version, "author": v.author, "comment": v.comment,
             "created_at": v.created_at.isoformat(), "reverted_from": v.reverted_from}
            for v in found
        ]  # fmt: skip

    @app.put("/api/v1/ivr/flow")
    async def change_flow(
        token: auth,
        source: Annotated[str, Body(media_type="text/yaml", max_length=1_000_000)],
        comment: str = "",
    ) -> dict[str, Any]:
        require(token, Role.ADMIN)
        try:
            change = await _flows(ctx).change(source, token.name, comment[:200])
        except FlowError as exc:
            raise _invalid(exc) from None
        except ValueError as exc:
            raise ApiError(422, "flow.wrong_flow", str(exc)) from None
        return _changed(ctx, change)

    @app.post("/api/v1/ivr/flow/revert")
    async def revert_flow(body: FlowRevert, token: auth) -> dict[str, Any]:
        require(token, Role.ADMIN)
        try:
            change = await _flows(ctx).revert(body.version, token.name)
        except LookupError as exc:
            raise ApiError(404, "flow.unknown_version", str(exc)) from None
        except FlowError as exc:
            raise _invalid(exc) from None
        return _changed(ctx, change)

    _report_routes(app, ctx, verify)
    _hot_topic_routes(app, ctx, verify)


def _report_routes(app: FastAPI, ctx: ApiContext, verify: TokenVerifier) -> None:
    auth = Annotated[TokenRecord, Depends(verify)]

    @app.get("/api/v1/ivr/paths")
    async def path_report(token: auth, days: int = REPORT_DAYS) -> dict[str, Any]:
        require(token, Role.SUPERVISOR)
        until = ctx.controller.clock.wall()
        since = until - timedelta(days=max(1, min(days, 366)))
        calls = await asyncio.to_thread(ctx.store.ivr_path_steps, since, until, 20_000)
        return report_json(build_report(calls))

    @app.get("/api/v1/surveys")
    async def surveys(token: auth, days: int = REPORT_DAYS,
                      agent: str | None = None) -> dict[str, Any]:  # fmt: skip
        require(token, Role.SUPERVISOR)
        until = ctx.controller.clock.wall()
        since = until - timedelta(days=max(1, min(days, 366)))
        found = await asyncio.to_thread(ctx.store.list_surveys, since, until, agent)
        summary = await asyncio.to_thread(ctx.store.survey_summary, since, until)
        return {
            "responses": [
                {"call_id": r.call_uniqueid, "agent": r.agent_code, "queue": r.queue,
                 "rating": r.rating, "at": r.at.isoformat()}
                for r in found
            ],
            "by_agent": summary,
        }  # fmt: skip


def _hot_topic_routes(app: FastAPI, ctx: ApiContext, verify: TokenVerifier) -> None:
    auth = Annotated[TokenRecord, Depends(verify)]

    @app.get("/api/v1/ivr/hot-topics")
    async def hot_topics(token: auth, limit: int = 50) -> list[dict[str, Any]]:
        require(token, Role.SUPERVISOR)
        found = await asyncio.to_thread(ctx.store.list_hot_topics, max(1, min(limit, 500)))
        return [hot_topic_json(t) for t in found]

    @app.post("/api/v1/ivr/hot-topics")
    async def create_hot_topic(body: HotTopicIn, token: auth) -> dict[str, Any]:
        require(token, Role.ADMIN)
        if body.starts_at.utcoffset() is None or body.ends_at.utcoffset() is None:
            raise ApiError(422, "hot_topic.naive_time", "give times with their offset (+08:00)")
        if body.ends_at <= body.starts_at:
            raise ApiError(422, "hot_topic.period", "ends_at must be after starts_at")
        topic = await asyncio.to_thread(
            partial(ctx.store.create_hot_topic, body.text, starts_at=body.starts_at,
                    ends_at=body.ends_at, created_by=token.name, at=ctx.controller.clock.wall())
        )  # fmt: skip
        return hot_topic_json(topic)

    @app.post("/api/v1/ivr/hot-topics/{topic_id}/cancel")
    async def cancel_hot_topic(topic_id: int, token: auth) -> dict[str, Any]:
        require(token, Role.ADMIN)
        at = ctx.controller.clock.wall()
        if not await asyncio.to_thread(ctx.store.cancel_hot_topic, topic_id, at):
            raise ApiError(404, "hot_topic.unknown", f"no active hot topic {topic_id}")
        return {"id": topic_id, "cancelled_at": at.isoformat()}


def _flows(ctx: ApiContext) -> FlowLibrary:
    if ctx.flows is None:
        raise ApiError(503, "flow.not_served", "this controller serves no IVR flow")
    return ctx.flows


def _invalid(exc: FlowError) -> ApiError:
    problems = [{"line": p.line, "message": p.message} for p in exc.problems]
    return ApiError(422, "flow.invalid", f"the flow has {len(problems)} problem(s)", problems)


def _changed(ctx: ApiContext, change: FlowChange) -> dict[str, Any]:
    version = change.version
    ctx.controller.publisher.publish(
        FlowChanged(version.created_at, change.flow.name, version.version, version.author,
                    version.comment)
    )  # fmt: skip
    return {
        "flow": change.flow.name, "version": version.version, "author": version.author,
        "comment": version.comment, "prompts_generated": change.prompts_generated,
        "paths": len(flow_paths(change.flow)),
    }  # fmt: skip


def hot_topic_json(topic: HotTopic) -> dict[str, Any]:
    return {
        "id": topic.id, "text": topic.text, "starts_at": topic.starts_at.isoformat(),
        "ends_at": topic.ends_at.isoformat(), "created_by": topic.created_by,
        "cancelled_at": topic.cancelled_at.isoformat() if topic.cancelled_at else None,
    }  # fmt: skip
