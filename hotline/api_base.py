"""What every API module shares: the context, errors with stable ids, and bearer-token roles."""

# No "from __future__ import annotations": FastAPI reads the handlers' annotations at
# definition time (see hotline.api).
import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request

from hotline.controller import Controller
from hotline.flow_library import FlowLibrary
from hotline.handoff_desk import HandoffDesk
from hotline.knowledge import KnowledgeBase
from hotline.metrics import Metrics
from hotline.screen_pops import ScreenPops
from hotline.storage import Role, Store, TokenRecord
from hotline.window_desk import WindowDesk
from hotline.work_order_desk import WorkOrderDesk

RANK = {Role.AGENT: 1, Role.SUPERVISOR: 2, Role.ADMIN: 3}
TOKEN_CACHE_S = 30.0


class ApiError(Exception):
    def __init__(self, status: int, error_id: str, message: str,
                 problems: list[dict[str, Any]] | None = None) -> None:  # fmt: skip
        super().__init__(message)
        self.status, self.error_id, self.message = status, error_id, message
        self.problems = problems
        """Every problem found (a flow's errors, each with its line), when there are several."""


@dataclass(frozen=True)
class ApiContext:
    controller: Controller
    store: Store
    metrics: Metrics
    seats: frozenset[str]
    health: Callable[[], dict[str, Any]]
    asterisk_path: Callable[[str], Path] = Path
    """The host path of a file Asterisk wrote (a voice message), from Asterisk's view of it."""
    flows: FlowLibrary | None = None
    knowledge: KnowledgeBase | None = None
    screen_pops: ScreenPops | None = None
    work_orders: WorkOrderDesk | None = None
    windows: WindowDesk | None = None
    handoffs: HandoffDesk | None = None


class TokenVerifier:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: dict[str, tuple[float, TokenRecord]] = {}

    async def __call__(self, request: Request) -> TokenRecord:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "auth.missing", "send 'Authorization: Bearer <token>'")
        cached = self._cache.get(token)
        if cached and time.monotonic() - cached[0] < TOKEN_CACHE_S:
            return cached[1]
        record = await asyncio.to_thread(self.store.verify_token, token.strip())
        if record is None:
            raise ApiError(401, "auth.invalid", "unknown or revoked token")
        self._cache[token] = (time.monotonic(), record)
        return record


def require(token: TokenRecord, role: Role) -> None:
    if RANK[token.role] < RANK[role]:
        raise ApiError(403, "auth.forbidden", f"this needs the {role.value} role")


def require_self_or(token: TokenRecord, agent: str, role: Role) -> None:
    if token.role is Role.AGENT and token.agent_code == agent:
        return
    require(token, role)
