"""What a request must be before the API spends work on it: JSON, not too large, not too slow.

`RequestGuard` is plain ASGI middleware (cheap on the hot path). For a request with a body it
answers, each with a JSON body `{"detail": "..."}` saying what is allowed:
- 415 when the body is not declared as `application/json` (UTF-8), or is compressed;
- 413 when the body exceeds `max_bytes`, after reading and discarding it up to a bound so that
  ordinary clients (which send the whole body before reading) see the answer, not a reset;
- 408 when the client stops sending the body for `timeout` seconds;
- 503, with `Retry-After`, while `max_busy` such requests are already in progress: under
  overload a request is refused at once instead of queueing behind the others, so the event loop
  stays free for the probes (`/health`, `/ready` have no body and are never refused).
`parse_json` reads a body as strict JSON: a duplicated key, nesting too deep for the parser or
a number too long to convert is a JSON error naming the cause, not a silent choice or a crash.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Bodies this large are refused without being read: past this, a reset is the lesser evil.
DRAIN_LIMIT = 64 * 1024 * 1024
ACCEPTED_TYPE = "application/json"


class RequestGuard:
    """Refuses bodies that are not plain JSON (415), too large (413) or too slow (408)."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float, max_busy: int) -> None:
        self.app, self.max_bytes, self.timeout, self.max_busy = app, max_bytes, timeout, max_busy
        self.busy = 0  # requests with a body in progress; one event loop, so no lock is needed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in {"POST", "PUT", "PATCH"}:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        refusal = _media_type_problem(headers)
        if refusal:
            await _answer(415, refusal, scope, receive, send)
            return
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            if int(declared) <= DRAIN_LIMIT:
                await self._drain(receive)
            await _answer(413, self._too_large(int(declared)), scope, receive, send)
            return
        if self.busy >= self.max_busy:
            busy = f"{self.busy} requests in progress, the limit (max_concurrent_requests): retry shortly"
            await _answer(503, busy, scope, receive, send, headers={"Retry-After": "1"})
            return
        self.busy += 1
        try:
            await self._guarded(scope, receive, send)
        finally:
            self.busy -= 1

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        received = 0

        async def guarded_receive() -> Message:
            nonlocal received
            message = await self._receive(receive)
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise HTTPException(413, self._too_large(received))
            return message

        await self.app(scope, guarded_receive, send)

    async def _receive(self, receive: Receive) -> Message:
        try:
            return await asyncio.wait_for(receive(), self.timeout)
        except TimeoutError:
            raise HTTPException(408, f"the request body did not arrive within {self.timeout:g} s") from None

    async def _drain(self, receive: Receive) -> None:
        more = True
        while more:
            try:
                message = await self._receive(receive)
            except HTTPException:
                return
            more = message.get("more_body", False)

    def _too_large(self, size: int) -> str:
        return f"request body of {size} bytes or more exceeds the limit of {self.max_bytes} bytes (max_body_bytes)"


def _media_type_problem(headers: dict[bytes, bytes]) -> str | None:
    """Why the body's declared type or encoding is refused, or None when it is plain JSON."""
    encoding = headers.get(b"content-encoding", b"identity").decode("latin-1").strip().lower()
    if encoding not in {"", "identity"}:
        return f"Content-Encoding '{encoding}' is not accepted: send the body uncompressed as {ACCEPTED_TYPE}"
    declared = headers.get(b"content-type", b"").decode("latin-1")
    media_type, *params = (part.strip().lower() for part in declared.split(";"))
    charset_ok = all(p.replace(" ", "") in {"charset=utf-8", 'charset="utf-8"'} for p in params if p)
    if media_type != ACCEPTED_TYPE or not charset_ok:
        shown = f"'{declared}'" if declared else "missing"
        return f"Content-Type {shown} is not accepted: send {ACCEPTED_TYPE} (UTF-8)"
    return None


async def _answer(
    status: int, detail: str, scope: Scope, receive: Receive, send: Send, *, headers: dict[str, str] | None = None
) -> None:
    await JSONResponse({"detail": detail}, status_code=status, headers=headers)(scope, receive, send)


def parse_json(body: bytes) -> Any:
    """Strict JSON: raises `json.JSONDecodeError` for duplicated keys and for what the parser cannot hold."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise json.JSONDecodeError("the body is not UTF-8 text", "", error.start) from None
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError:
        raise
    except _DuplicateKeyError as error:
        raise json.JSONDecodeError(str(error), text, 0) from None
    except RecursionError:
        raise json.JSONDecodeError("nesting too deep", text, 0) from None
    except ValueError:  # an integer beyond Python's digit limit (4,300 by default)
        raise json.JSONDecodeError("a number has too many digits", text, 0) from None


class _DuplicateKeyError(ValueError):
    """The same key twice in one JSON object: which value was meant is unknowable."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKeyError(f"duplicate key '{key}'")
            seen.add(key)
    return result
