"""API for what waiting callers left behind: queued callbacks and voice messages (supervisors)."""

# No "from __future__ import annotations": FastAPI reads the handlers' annotations at
# definition time (see hotline.api).
import asyncio
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI
from fastapi.responses import FileResponse

from hotline.api_base import ApiContext, ApiError, TokenVerifier, require
from hotline.storage import MessageStatus, Role, TokenRecord, VoiceMessage
from queues.callbacks import Callback, InvalidCallbackTransition


def followup_routes(app: FastAPI, ctx: ApiContext, verify: TokenVerifier) -> None:
    auth = Annotated[TokenRecord, Depends(verify)]

    @app.get("/api/v1/callbacks")
    async def callbacks(
        token: auth, open_only: bool = False, limit: int = 200
    ) -> list[dict[str, Any]]:
        require(token, Role.SUPERVISOR)
        found = await asyncio.to_thread(
            ctx.store.list_callbacks, open_only=open_only, limit=max(1, min(limit, 1000))
        )
        return [callback_json(c) for c in found]

    @app.post("/api/v1/callbacks/{callback_id}/cancel")
    async def cancel_callback(callback_id: str, token: auth) -> dict[str, Any]:
        require(token, Role.SUPERVISOR)
        desk = ctx.controller.callbacks
        if desk is None or desk.get(callback_id) is None:
            raise ApiError(404, "callback.unknown", f"no open callback {callback_id!r}")
        try:
            cancelled = desk.cancel(callback_id, f"cancelled by {token.name}")
        except InvalidCallbackTransition:
            raise ApiError(409, "callback.dialling", "the caller is being dialled now") from None
        return callback_json(cancelled)

    @app.get("/api/v1/messages")
    async def messages(
        token: auth, status: MessageStatus | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        require(token, Role.SUPERVISOR)
        found = await asyncio.to_thread(ctx.store.list_messages, status, max(1, min(limit, 1000)))
        return [message_json(m) for m in found]

    @app.get("/api/v1/messages/{message_id}/audio")
    async def message_audio(message_id: int, token: auth) -> FileResponse:
        require(token, Role.SUPERVISOR)
        message = await _message(ctx, message_id)
        path = ctx.asterisk_path(message.audio)
        if not await asyncio.to_thread(path.is_file):
            raise ApiError(410, "message.audio_missing", f"the recording {path.name} is gone")
        return FileResponse(path, media_type="audio/wav", filename=Path(message.audio).name)

    @app.post("/api/v1/messages/{message_id}/handled")
    async def message_handled(message_id: int, token: auth) -> dict[str, Any]:
        require(token, Role.SUPERVISOR)
        await _message(ctx, message_id)
        at = ctx.controller.clock.wall()
        await asyncio.to_thread(ctx.store.mark_message_handled, message_id, token.name, at)
        return message_json(await _message(ctx, message_id))


async def _message(ctx: ApiContext, message_id: int) -> VoiceMessage:
    message = await asyncio.to_thread(ctx.store.get_message, message_id)
    if message is None:
        raise ApiError(404, "message.unknown", f"no voice message {message_id}")
    return message


def callback_json(callback: Callback) -> dict[str, Any]:
    return {
        "id": callback.id,
        "call_id": callback.call_uniqueid,
        "number": callback.number,
        "queue": callback.queue,
        "status": callback.status.value,
        "attempts": callback.attempts,
        "last_result": callback.last_result,
        "agent": callback.agent,
        "queued_at": callback.queued_at.isoformat(),
        "requested_at": callback.requested_at.isoformat(),
    }


def message_json(message: VoiceMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "call_id": message.call_uniqueid,
        "caller_number": message.caller_number,
        "queue": message.queue,
        "duration_ms": message.duration_ms,
        "recorded_at": message.recorded_at.isoformat(),
        "status": message.status.value,
        "handled_by": message.handled_by,
        "handled_at": message.handled_at.isoformat() if message.handled_at else None,
    }
