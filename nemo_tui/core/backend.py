"""OllamaBackend: the only user of `ollama.AsyncClient`.

Turns the client's calls and exceptions into typed events so nothing above this module needs
to know how the client reports a fault (see ollama-api.md: HTTP status → ResponseError with a
status, an error line mid-stream → status -1, a dead server on a streaming call → raw
httpx.ConnectError on the first iteration, a dropped connection → RemoteProtocolError).
`ollama` (pydantic + httpx, ~0.3 s) is imported on first use, never at module import.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

STAT_KEYS = (
    "done_reason",
    "total_duration",
    "load_duration",
    "prompt_eval_count",
    "prompt_eval_duration",
    "eval_count",
    "eval_duration",
)


@dataclass
class Token:
    text: str


@dataclass
class Done:
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass
class Failed:
    """kind: connect | not_found | bad_request | busy | server | stream_error | dropped | timeout"""

    kind: str
    message: str
    status: int | None = None


@dataclass
class PullProgress:
    status: str
    completed: int | None = None
    total: int | None = None


ChatEvent = Token | Done | Failed


def connect_help(host: str) -> str:
    return (
        f"Cannot reach Ollama at {host}. Start it with `ollama serve`, or point nemo-tui at "
        "the right server with --host URL or OLLAMA_HOST. Reconnecting by itself…"
    )


def classify(exc: BaseException, host: str, model: str | None = None) -> Failed:
    """Map any exception the client can raise to a Failed event with a clear message."""
    import httpx
    import ollama

    if isinstance(exc, ollama.ResponseError):
        status = exc.status_code
        text = exc.error or str(exc)
        if status == -1:
            return Failed("stream_error", f"Ollama reported an error mid-reply: {text}", -1)
        if status == 404:
            return Failed("not_found", f"Model {model or ''} is not installed ({text}).", 404)
        if status == 400:
            return Failed("bad_request", f"Ollama rejected the request: {text}", 400)
        if status == 503:
            return Failed("busy", f"Ollama is busy (queue full): {text}", 503)
        return Failed("server", f"Ollama answered HTTP {status}: {text}", status)
    if isinstance(exc, (httpx.ConnectError, ConnectionError, httpx.ConnectTimeout)):
        return Failed("connect", connect_help(host))
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        return Failed("dropped", f"The connection to Ollama dropped mid-reply ({exc or type(exc).__name__}).")
    if isinstance(exc, (asyncio.TimeoutError, httpx.TimeoutException)):
        return Failed("timeout", "No answer from the model in time.")
    return Failed("server", f"Unexpected error talking to Ollama: {type(exc).__name__}: {exc}")


def stats_of(part: Any) -> dict[str, Any]:
    return {k: getattr(part, k, None) for k in STAT_KEYS if getattr(part, k, None) is not None}


class OllamaBackend:
    def __init__(self, host: str, token_timeout: float = 300.0) -> None:
        self.host = host
        self.token_timeout = token_timeout
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            import ollama

            self._client = ollama.AsyncClient(host=self.host)
        return self._client

    async def warm_up(self) -> None:
        """Import the client in a thread: ~0.3 s that must not block the event loop."""
        if self._client is None:
            import importlib

            await asyncio.to_thread(importlib.import_module, "ollama")

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    # -- simple calls: return a value, or raise; callers use `classify` ------------------
    async def version(self) -> str:
        # The client has no public call for /api/version; _request_raw keeps its error
        # handling and transport (never raw HTTP of our own).
        response = await self.client._request_raw("GET", "/api/version")
        return str(response.json().get("version", ""))

    async def list_models(self) -> list[dict[str, Any]]:
        result = await self.client.list()
        return [m.model_dump() for m in result.models]

    async def show(self, model: str) -> dict[str, Any]:
        return (await self.client.show(model)).model_dump()

    async def ps(self) -> list[dict[str, Any]]:
        return [m.model_dump() for m in (await self.client.ps()).models]

    # -- streams -------------------------------------------------------------------------
    async def chat(
        self,
        model: str,
        messages: list[dict[str, str]],
        options: dict[str, Any] | None = None,
    ) -> AsyncIterator[ChatEvent]:
        """Stream a reply. Always ends with exactly one Done or Failed event.

        Closing this generator (or cancelling its task) closes the HTTP stream, which makes
        Ollama stop generating.
        """
        stream = None
        try:
            stream = await self.client.chat(
                model=model, messages=messages, options=options or None, stream=True
            )
            iterator = stream.__aiter__()
            while True:
                try:
                    part = await asyncio.wait_for(iterator.__anext__(), self.token_timeout)
                except StopAsyncIteration:
                    yield Failed("dropped", "The reply ended without a final chunk.")
                    return
                text = part.message.content if part.message else ""
                if text:
                    yield Token(text)
                if part.done:
                    yield Done(stats_of(part))
                    return
        except asyncio.TimeoutError:
            yield Failed(
                "timeout",
                f"No token from {model} for {self.token_timeout:g} s; gave up "
                "(raise request_timeout in the config if the model loads slowly).",
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every client fault becomes an event
            yield classify(exc, self.host, model)
        finally:
            if stream is not None:
                await stream.aclose()

    async def pull(self, model: str) -> AsyncIterator[PullProgress | Failed]:
        stream = None
        try:
            stream = await self.client.pull(model, stream=True)
            async for part in stream:
                yield PullProgress(part.status or "", part.completed, part.total)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            failed = classify(exc, self.host, model)
            if failed.kind == "stream_error":
                failed = Failed("pull_failed", f"Pulling {model} failed: {failed.message.split(': ', 1)[-1]}", -1)
            yield failed
        finally:
            if stream is not None:
                await stream.aclose()

