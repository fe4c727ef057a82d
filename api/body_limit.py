"""Request bodies are capped before anything reads or parses them (pure ASGI).

A declared Content-Length above the cap is refused at once; a chunked body is counted as
it streams and cut off when it passes the cap. Either way the answer is 413 problem+json.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import PayloadTooLarge, problem_response


class _BodyTooLarge(Exception):
    """Raised from `receive` when a streamed body passes its cap."""


class BodyLimitMiddleware:
    """At most `default` bytes per request body; `per_path` names routes allowed more."""

    def __init__(self, app: ASGIApp, *, default: int, per_path: Mapping[str, int]) -> None:
        self.app = app
        self.default = default
        self.per_path = dict(per_path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope["path"], self.default)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(limit, scope, receive, send)
            return

        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # whatever the app makes of a cut-off body is replaced by the 413
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await _discard_rest(receive, budget=_DRAIN_BUDGET)
            await _refuse(limit, scope, receive, send)


# A client that is still sending when the answer comes sees a reset instead of the 413;
# a modest overshoot is therefore read and thrown away (never kept, never parsed) first.
_DRAIN_BUDGET = 1_048_576


async def _discard_rest(receive: Receive, *, budget: int) -> None:
    while budget > 0:
        message = await receive()
        if message["type"] != "http.request":
            return
        budget -= len(message.get("body", b""))
        if not message.get("more_body", False):
            return


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(limit: int, scope: Scope, receive: Receive, send: Send) -> None:
    # The client may still be sending: close the connection rather than read the rest.
    response = problem_response(PayloadTooLarge(f"The request body exceeds {limit} bytes."))
    response.headers["Connection"] = "close"
    await response(scope, receive, send)
