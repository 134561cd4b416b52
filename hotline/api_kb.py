"""API for the knowledge base: search and entries (agents), marks and gaps (agents), the gap
report (supervisors), guidance entries and reloads (admins), and each agent's screen-pop."""

# No "from __future__ import annotations": FastAPI reads the handlers' annotations at
# definition time (see hotline.api).
import asyncio
import logging
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, FastAPI
from pydantic import BaseModel, Field

from hotline.api_base import ApiContext, ApiError, TokenVerifier, require, require_self_or
from hotline.knowledge import KnowledgeBase, KnowledgeBaseNotReady
from hotline.screen_pops import ScreenPops
from hotline.storage import Role, TokenRecord
from hotline.storage.kb_records import KbGap, KbMark
from kb.corpus import Provision
from kb.index import Hit

log = logging.getLogger("hotline.api_kb")

MAX_TOP = 50
GAP_DAYS = 7
GUIDANCE_LEVEL = "本地指引"


class SearchIn(BaseModel):
    query: str = Field(max_length=100_000)
    top: int = Field(default=10, ge=1, le=MAX_TOP)
    topic: str | None = Field(default=None, max_length=80)


class MarkIn(BaseModel):
    call_id: str = Field(min_length=1, max_length=150)
    provision_id: str = Field(min_length=1, max_length=40)
    topic: str | None = Field(default=None, max_length=80)
    """Only needed for a call the controller no longer remembers (after a restart)."""


class GapIn(BaseModel):
    question: str = Field(min_length=1, max_length=500)
    call_id: str | None = Field(default=None, max_length=150)
    topic: str | None = Field(default=None, max_length=80)


class GuidanceIn(BaseModel):
    text: str = Field(min_length=1, max_length=20_000)
    category: str = Field(min_length=1, max_length=40)
    title: str = Field(default="本地指引", min_length=1, max_length=300)
    effective_from: date | None = None
    effective_to: date | None = None
    id: str | None = Field(default=None, pattern=r"^G-\d{4,}$")
    """Give an existing entry's id to record a new version of it."""


def kb_routes(app: FastAPI, ctx: ApiContext, verify: TokenVerifier) -> None:
    auth = Annotated[TokenRecord, Depends(verify)]

    @app.get("/api/v1/kb/status")
    async def kb_status(token: auth) -> dict[str, Any]:
        require(token, Role.AGENT)
        return _kb(ctx).status().as_json()

    @app.get("/api/v1/kb/search")
    async def search_get(
        token: auth, q: str = "", top: int = 10, topic: str | None = None
    ) -> list[dict[str, Any]]:
        require(token, Role.AGENT)
        return await _search(ctx, q, max(1, min(top, MAX_TOP)), topic)

    @app.post("/api/v1/kb/search")
    async def search_post(body: SearchIn, token: auth) -> list[dict[str, Any]]:
        require(token, Role.AGENT)
        return await _search(ctx, body.query, body.top, body.topic)

    @app.get("/api/v1/kb/provisions/{provision_id}")
    async def provision(provision_id: str, token: auth) -> dict[str, Any]:
        require(token, Role.AGENT)
        versions = await asyncio.to_thread(ctx.store.provision_history, provision_id[:40])
        if not versions:
            raise ApiError(404, "kb.not_found", f"no provision {provision_id!r}")
        current = _ready(_kb(ctx)).entry(provision_id)
        return {
            "in_force": _provision_json(current) if current is not None else None,
            "versions": [
                {"version": v.version, "source": v.source, **_provision_json(v.provision),
                 "created_at": v.created_at.isoformat(), "created_by": v.created_by,
                 "superseded_at": _iso(v.superseded_at), "retired_at": _iso(v.retired_at)}
                for v in versions
            ],
        }  # fmt: skip

    @app.get("/api/v1/kb/topics/{topic}/entries")
    async def topic_entries(topic: str, token: auth, top: int = 10) -> list[dict[str, Any]]:
        require(token, Role.AGENT)
        knowledge = _ready(_kb(ctx))
        found = await asyncio.to_thread(knowledge.topic_entries, topic[:80], max(1, min(top, 50)))
        return [asdict(entry) for entry in found]

    _feedback_routes(app, ctx, auth)
    _admin_routes(app, ctx, auth)
    _screen_pop_routes(app, ctx, auth)


def _feedback_routes(app: FastAPI, ctx: ApiContext, auth: Any) -> None:
    @app.post("/api/v1/kb/marks")
    async def mark(body: MarkIn, token: auth) -> dict[str, Any]:
        require(token, Role.AGENT)
        agent = token.agent_code or token.name
        topic = body.topic or _pops(ctx).topic_of(body.call_id)
        if topic is None:
            raise ApiError(422, "kb.topic_unknown",
                           f"call {body.call_id!r} is not one the controller remembers; "
                           "give its topic")  # fmt: skip
        if _ready(_kb(ctx)).entry(body.provision_id) is None:
            raise ApiError(404, "kb.not_found", f"no provision {body.provision_id!r} in force")
        record = KbMark(body.call_id, body.provision_id, agent[:32], topic, _now())
        added = await asyncio.to_thread(_kb(ctx).mark, record)
        return {"marked": added, "topic": topic}

    @app.post("/api/v1/kb/gaps")
    async def gap(body: GapIn, token: auth) -> dict[str, Any]:
        require(token, Role.AGENT)
        topic = body.topic or (_pops(ctx).topic_of(body.call_id) if body.call_id else None)
        record = KbGap(body.call_id, (token.agent_code or token.name)[:32], topic or "",
                       body.question.strip(), _now())  # fmt: skip
        await asyncio.to_thread(ctx.store.save_gap, record)
        return {"recorded": True}

    @app.get("/api/v1/kb/gaps")
    async def gap_report(token: auth, days: int = GAP_DAYS) -> dict[str, Any]:
        require(token, Role.SUPERVISOR)
        until = _now()
        since = until - timedelta(days=max(1, min(days, 366)))
        questions = await asyncio.to_thread(ctx.store.kb_gaps, since, until)
        unmarked = await asyncio.to_thread(ctx.store.unmarked_calls, since, until)
        return {
            "since": since.isoformat(), "until": until.isoformat(),
            "questions": [
                {"question": g.question, "topic": g.topic, "call_id": g.call_uniqueid,
                 "agent": g.agent_code, "at": g.at.isoformat()}
                for g in questions
            ],
            "unmarked_calls": [asdict(u) for u in unmarked],
        }  # fmt: skip


def _admin_routes(app: FastAPI, ctx: ApiContext, auth: Any) -> None:
    @app.post("/api/v1/kb/guidance", status_code=201)
    async def add_guidance(body: GuidanceIn, token: auth) -> dict[str, Any]:
        require(token, Role.ADMIN)
        if body.effective_from and body.effective_to and body.effective_to < body.effective_from:
            raise ApiError(422, "kb.dates", "effective_to is before effective_from")
        entry = Provision(
            id=body.id or "", law_id="", law_title=body.title, category=body.category,
            law_category=body.category, domain="labour_social_security", level=GUIDANCE_LEVEL,
            article_no="", chapter="", text=body.text, version_date=date.today().isoformat(),
            effective_from=body.effective_from, effective_to=body.effective_to,
        )  # fmt: skip
        saved = await asyncio.to_thread(ctx.store.add_guidance, entry, author=token.name,
                                        at=_now())  # fmt: skip
        await _refresh(_kb(ctx))
        return {"id": saved.id, **_kb(ctx).status().as_json()}

    @app.delete("/api/v1/kb/guidance/{provision_id}")
    async def retire_guidance(provision_id: str, token: auth) -> dict[str, Any]:
        require(token, Role.ADMIN)
        if not provision_id.startswith("G-"):
            raise ApiError(422, "kb.not_guidance", "only guidance entries (G-...) are retired here")
        if not await asyncio.to_thread(ctx.store.retire_provision, provision_id, _now()):
            raise ApiError(404, "kb.not_found", f"no guidance entry {provision_id!r}")
        await _refresh(_kb(ctx))
        return {"retired": provision_id}

    @app.post("/api/v1/kb/reload")
    async def reload(token: auth) -> dict[str, Any]:
        require(token, Role.ADMIN)
        changed = await _refresh(_kb(ctx))
        return {"changed": changed, **_kb(ctx).status().as_json()}


def _screen_pop_routes(app: FastAPI, ctx: ApiContext, auth: Any) -> None:
    @app.get("/api/v1/agents/{agent}/screen-pop")
    async def screen_pop(agent: str, token: auth) -> dict[str, Any]:
        require_self_or(token, agent, Role.SUPERVISOR)
        found = _pops(ctx).latest(agent)
        if found is None:
            raise ApiError(404, "screen_pop.none", f"no call offered to {agent} yet")
        pop, number = found
        return {**pop.payload(), "caller_number": number}


async def _search(ctx: ApiContext, query: str, top: int, topic: str | None) -> list[dict[str, Any]]:
    knowledge = _ready(_kb(ctx))
    hits = await asyncio.to_thread(knowledge.search, query, top, topic)
    return [_hit_json(hit) for hit in hits]


async def _refresh(knowledge: KnowledgeBase) -> bool:
    return await asyncio.to_thread(knowledge.refresh)


def _kb(ctx: ApiContext) -> KnowledgeBase:
    if ctx.knowledge is None:
        raise ApiError(503, "kb.unavailable", "this controller runs without a knowledge base")
    return ctx.knowledge


def _ready(knowledge: KnowledgeBase) -> KnowledgeBase:
    try:
        knowledge.ready_index()
    except KnowledgeBaseNotReady as exc:
        raise ApiError(503, "kb.loading", str(exc)) from None
    return knowledge


def _pops(ctx: ApiContext) -> ScreenPops:
    if ctx.screen_pops is None:
        raise ApiError(503, "kb.unavailable", "this controller runs without screen-pops")
    return ctx.screen_pops


def _hit_json(hit: Hit) -> dict[str, Any]:
    return {
        "id": hit.id, "law_title": hit.law_title, "article_no": hit.article_no,
        "category": hit.category, "level": hit.level, "score": round(hit.score, 6),
    }  # fmt: skip


def _provision_json(p: Provision) -> dict[str, Any]:
    return {
        "id": p.id, "law_title": p.law_title, "article_no": p.article_no,
        "category": p.category, "level": p.level, "chapter": p.chapter, "text": p.text,
        "version_date": p.version_date, "effective_from": _iso(p.effective_from),
        "effective_to": _iso(p.effective_to),
    }  # fmt: skip


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _now() -> datetime:
    return datetime.now(UTC)
