"""A protocol-faithful Ollama API stand-in: a real HTTP/1.1 server on 127.0.0.1, stdlib only.

The real `ollama` client talks to it unchanged (`ollama.AsyncClient(host=standin.url)`); streamed
answers are NDJSON over `Transfer-Encoding: chunked`, one line per chunk, flushed as produced.

    with OllamaStandin() as s:              # or OllamaStandin(port=free_port()).start() / .stop()
        s.reply_text = "Hi there"           # or a callable (request_json) -> str; or s.chunks = [...]
        s.fail_next("drop", after_chunks=3) # error_line | drop | status | stall | slow_first
        ...  s.requests[-1].json, s.cancelled, s.running, s.models

CLI: python -m tests.standin --port 11500 [--chunks-per-second 50] [--first-token-delay 0] [--long-reply]
"""

from __future__ import annotations

import argparse
import collections
import json
import select
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator

try:
    from .standin_replies import (DEFAULT_PULLABLE, DEFAULT_REPLY, ERROR_LINE_MESSAGE, FAULTS, MISTRAL,
                                  NEMO, STATUS_MESSAGES, Behaviour, Line, ModelSpec, Recorded,
                                  chat_lines, long_markdown_reply, normalize_name, preset_for,
                                  pull_lines)
except ImportError:  # imported as a top-level module (tests/ on sys.path)
    from standin_replies import (DEFAULT_PULLABLE, DEFAULT_REPLY, ERROR_LINE_MESSAGE,  # type: ignore
                                 FAULTS, MISTRAL, NEMO, STATUS_MESSAGES, Behaviour, Line, ModelSpec,
                                 Recorded, chat_lines, long_markdown_reply, normalize_name,
                                 preset_for, pull_lines)

__all__ = ["OllamaStandin", "Behaviour", "Recorded", "ModelSpec", "free_port", "long_markdown_reply"]

def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]



class OllamaStandin:
    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        self.host, self.port = host, port
        self.version = "0.12.6"
        self.models: dict[str, ModelSpec] = {m.name: m.clone(m.name) for m in (NEMO, MISTRAL)}
        self.pullable: dict[str, ModelSpec | None] | set[str] = {n: preset_for(n) for n in DEFAULT_PULLABLE}
        self.running: list[dict[str, Any]] = []
        self.auto_load = True  # a chat puts its model into `running` (like Ollama loading it)
        self.default_num_ctx = 4096  # server default of 0.6.7 .. 0.15.4
        self.reply_text: str | Callable[[dict], str] = DEFAULT_REPLY
        self.chunks: list[str] | None = None
        self.chunk_size = 4
        self.chunks_per_second: float | None = None
        self.first_token_delay = 0.0
        self.load_duration = 25_000_000  # ns
        self.reported_tokens_per_second = 40.0  # eval_duration when unpaced
        self.prompt_eval_count: int | Callable[[dict], int] | None = None
        self.pull_steps = 5
        self.pull_interval = 0.0
        self.script: collections.deque[Behaviour | str | list] = collections.deque()
        self.requests: list[Recorded] = []
        self.cancelled: list[dict[str, Any]] = []
        self.chunks_sent = 0
        self.active_streams = 0
        self.verbose = False
        self._cond = threading.Condition()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._conns: set[socket.socket] = set()

    # -- lifecycle ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def is_running(self) -> bool:
        return self._server is not None

    def start(self) -> "OllamaStandin":
        if self._server is None:
            srv = _Server((self.host, self.port), _Handler)
            srv.standin = self
            self.port = srv.server_address[1]
            self._server = srv
            self._thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05},
                                            daemon=True, name=f"ollama-standin:{self.port}")
            self._thread.start()
        return self

    def stop(self) -> None:
        srv, self._server = self._server, None
        if srv is None:
            return
        srv.stopping.set()  # wakes stalled/paced handlers; they then end without counting a cancel
        srv.shutdown()
        srv.server_close()
        with self._cond:
            conns, self._conns = list(self._conns), set()
        for conn in conns:  # also ends idle keep-alive connections, so nothing answers after stop()
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._thread = None

    def __enter__(self) -> "OllamaStandin":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- models -------------------------------------------------------------------------------
    def find_model(self, name: str) -> ModelSpec | None:
        wanted = normalize_name(name)
        for key, spec in list(self.models.items()):
            if normalize_name(key) == wanted:
                return spec
        return None

    def add_model(self, name: str, base: str | ModelSpec | None = None, **overrides: Any) -> ModelSpec:
        """Install a model copied from `base` (an installed name, a spec, or a preset chosen by
        name). Overrides that are not ModelSpec fields become Modelfile parameters (num_ctx=...)."""
        if isinstance(base, str):
            base = self.find_model(base) or preset_for(base)
        spec = (base or preset_for(name)).clone(name, **overrides)
        with self._cond:
            self.models[spec.name] = spec
        return spec

    def remove_model(self, name: str) -> bool:
        spec = self.find_model(name)
        if spec is None:
            return False
        with self._cond:
            self.models = {k: v for k, v in self.models.items() if v is not spec}
        self.unload(name)
        return True

    def set_parameters(self, name: str, **params: Any) -> ModelSpec:
        """Set Modelfile PARAMETERs (num_ctx=32768, stop=[...]); a value of None removes one."""
        spec = self.find_model(name)
        if spec is None:
            raise KeyError(name)
        for key, value in params.items():
            if value is None:
                spec.parameters.pop(key, None)
            else:
                spec.parameters[key] = value
        return spec

    def effective_num_ctx(self, name: str, options: dict | None = None) -> int:
        """Server default < Modelfile num_ctx < request options.num_ctx, clamped to training ctx."""
        spec = self.find_model(name)
        n = (options or {}).get("num_ctx") or (spec.parameters.get("num_ctx") if spec else None)
        n = int(n or self.default_num_ctx)
        return min(n, spec.context_length) if spec else n

    def load(self, name: str, size_vram: int | None = None, context_length: int = 4096) -> dict:
        """Put a model into /api/ps; size_vram < size shows a CPU/GPU split."""
        spec = self.find_model(name)
        if spec is None:
            raise KeyError(name)
        entry = spec.ps_entry(size_vram, context_length)
        with self._cond:
            self.running = [e for e in self.running if e["name"] != spec.name] + [entry]
        return entry

    def unload(self, name: str) -> None:
        wanted = normalize_name(name)
        with self._cond:
            self.running = [e for e in self.running if normalize_name(e["name"]) != wanted]

    # -- script and faults --------------------------------------------------------------------
    def fail_next(self, kind: str, after_chunks: int = 0, status: int = 500, message: str | None = None,
                  delay: float = 0.0, times: int = 1, path: str | None = "/api/chat") -> None:
        """Queue a fault for the next `times` requests to `path` (None = any path)."""
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; one of {FAULTS}")
        for _ in range(times):
            self.script.append(Behaviour(kind, after_chunks, status, message, delay, path=path))

    def reply_next(self, text: str | None = None, chunks: list[str] | None = None,
                   done_reason: str | None = None, path: str = "/api/chat") -> None:
        self.script.append(Behaviour(text=text, chunks=chunks, done_reason=done_reason, path=path))

    def clear(self) -> None:
        with self._cond:
            self.script.clear()
            self.requests.clear()
            self.cancelled.clear()
            self.chunks_sent = 0

    # -- observation --------------------------------------------------------------------------
    def wait_until(self, predicate: Callable[[], bool], timeout: float = 1.0) -> bool:
        with self._cond:
            return self._cond.wait_for(predicate, timeout)

    def wait_cancelled(self, n: int = 1, timeout: float = 1.0) -> bool:
        return self.wait_until(lambda: len(self.cancelled) >= n, timeout)

    def wait_requests(self, n: int = 1, path: str | None = None, timeout: float = 1.0) -> bool:
        return self.wait_until(lambda: len(self.requests_to(path)) >= n, timeout)

    def requests_to(self, path: str | None = None) -> list[Recorded]:
        return [r for r in self.requests if path is None or r.path == path]

    @property
    def chat_requests(self) -> list[dict]:
        return [r.json for r in self.requests_to("/api/chat")]

    def _notify(self, fn: Callable[[], None] = lambda: None) -> None:
        with self._cond:
            fn()
            self._cond.notify_all()

    def _take(self, path: str) -> Behaviour | None:
        with self._cond:
            for i, b in enumerate(self.script):
                if isinstance(b, str):
                    b = Behaviour(text=b)
                elif isinstance(b, list):
                    b = Behaviour(chunks=b)
                if b.path is None or b.path == path:
                    del self.script[i]
                    return b
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    standin: OllamaStandin

    def __init__(self, *args: Any) -> None:
        self.stopping = threading.Event()
        super().__init__(*args)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ollama-standin"
    server: _Server

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        super().setup()
        self.st = self.server.standin
        with self.st._cond:
            self.st._conns.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        with self.st._cond:
            self.st._conns.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        if self.st.verbose:
            sys.stderr.write(f"standin: {format % args}\n")

    def do_GET(self) -> None:
        self._dispatch(self.command)

    do_HEAD = do_POST = do_DELETE = do_GET

    # -- routing ------------------------------------------------------------------------------
    def _dispatch(self, method: str) -> None:
        path = self.path.split("?", 1)[0]
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body, bad = None, None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError as e:
                bad = f"invalid JSON in request body: {e}"
        st = self.st
        st._notify(lambda: st.requests.append(Recorded(method, path, body, dict(self.headers), time.time())))
        routes: dict[tuple[str, str], Callable[[Any, Behaviour | None], None]] = {
            ("GET", "/"): self._root, ("HEAD", "/"): self._root,
            ("GET", "/api/version"): self._version, ("GET", "/api/tags"): self._tags,
            ("GET", "/api/ps"): self._ps, ("POST", "/api/show"): self._show,
            ("POST", "/api/pull"): self._pull, ("POST", "/api/chat"): self._chat,
            ("DELETE", "/api/delete"): self._delete,
        }
        route = routes.get((method, path))
        if route is None:
            known = any(p == path for _, p in routes)
            return self._send(405 if known else 404, b"405 method not allowed" if known else b"404 page not found")
        beh = st._take(path)
        if beh and beh.fault == "status":
            return self._send_json(beh.status, {"error": beh.message or STATUS_MESSAGES.get(beh.status, "error")})
        if beh and beh.fault in ("drop", "stall") and path not in ("/api/chat", "/api/pull"):
            return self._fault(beh, False, 0, None)
        if bad:
            return self._send_json(400, {"error": bad})
        if method in ("POST", "DELETE") and not isinstance(body, dict):
            return self._send_json(400, {"error": "missing request body"})
        route(body, beh)

    def _root(self, body: Any, beh: Behaviour | None) -> None:
        self._send(200, b"Ollama is running", head=self.command == "HEAD")

    def _version(self, body: Any, beh: Behaviour | None) -> None:
        self._send_json(200, {"version": self.st.version})

    def _tags(self, body: Any, beh: Behaviour | None) -> None:
        self._send_json(200, {"models": [m.tags_entry() for m in list(self.st.models.values())]})

    def _ps(self, body: Any, beh: Behaviour | None) -> None:
        self._send_json(200, {"models": list(self.st.running)})

    def _model(self, body: dict) -> tuple[str, ModelSpec | None]:
        name = body.get("model") or body.get("name") or ""
        spec = self.st.find_model(name) if name else None
        if not name:
            self._send_json(400, {"error": "model is required"})
        elif spec is None:
            self._send_json(404, {"error": f"model '{name}' not found"})
        return name, spec

    def _show(self, body: dict, beh: Behaviour | None) -> None:
        _, spec = self._model(body)
        if spec:
            self._send_json(200, spec.show_payload())

    def _delete(self, body: dict, beh: Behaviour | None) -> None:
        name, spec = self._model(body)
        if spec:
            self.st.remove_model(name)
            self._send(200, b"")

    def _pull(self, body: dict, beh: Behaviour | None) -> None:
        name = body.get("model") or body.get("name")
        if not name:
            return self._send_json(400, {"error": "model is required"})
        self._run(pull_lines(self.st, name), beh, body.get("stream", True), lambda got: got[-1], name)

    def _chat(self, body: dict, beh: Behaviour | None) -> None:
        name, spec = self._model(body)
        if spec is None:
            return

        def combine(got: list[dict]) -> dict:
            final = dict(got[-1])
            final["message"] = dict(final["message"], content="".join(g["message"]["content"] for g in got))
            return final

        self._run(chat_lines(self.st, body, spec, beh), beh, body.get("stream", True), combine, name)

    # -- streaming ----------------------------------------------------------------------------
    def _run(self, lines: Iterator[Line], beh: Behaviour | None, stream: bool,
             combine: Callable[[list[dict]], dict], model: str) -> None:
        st = self.st
        fault = beh.fault if beh and beh.fault in ("error_line", "drop", "stall") else None
        sent, got, due = 0, [], time.monotonic()
        st._notify(lambda: setattr(st, "active_streams", st.active_streams + 1))
        try:
            if stream:
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
            for delay, obj, final in lines:
                if fault and (sent >= beh.after_chunks or final):
                    return self._fault(beh, stream, sent, model)
                if delay > 0:  # paced against the clock, so write/select overheads do not add up
                    due = max(due, time.monotonic() - 0.05) + delay
                    if not self._pause(due - time.monotonic()):
                        return self._gone(sent, model)
                if not stream and "error" in obj:
                    return self._send_json(500, obj)
                if stream and (self._client_gone() or not self._write_chunk(obj)):
                    return self._gone(sent, model)
                got.append(obj)
                sent += 1
                st._notify(lambda: setattr(st, "chunks_sent", st.chunks_sent + 1))
            if stream:
                self.wfile.write(b"0\r\n\r\n")
            else:
                self._send_json(200, combine(got))
        except OSError:
            self._gone(sent, model)
        finally:
            lines.close()  # type: ignore[attr-defined]
            st._notify(lambda: setattr(st, "active_streams", st.active_streams - 1))

    def _fault(self, beh: Behaviour, stream: bool, sent: int, model: str | None) -> None:
        if beh.fault == "error_line":
            msg = beh.message or ERROR_LINE_MESSAGE
            if not stream:
                return self._send_json(500, {"error": msg})
            if self._write_chunk({"error": msg}):
                self.wfile.write(b"0\r\n\r\n")  # the stream ends normally: HTTP 200
        elif beh.fault == "drop":  # FIN in the middle of the chunked body -> RemoteProtocolError
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        else:  # stall until the client goes away or the server stops
            self._pause(None)
            self._gone(sent, model)

    def _gone(self, sent: int, model: str | None) -> None:
        self.close_connection = True
        if not self.server.stopping.is_set():
            entry = {"path": self.path, "model": model, "chunks_sent": sent, "time": time.time()}
            self.st._notify(lambda: self.st.cancelled.append(entry))

    def _client_gone(self) -> bool:
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def _pause(self, seconds: float | None) -> bool:
        """Sleep, watching the socket; False if the client left or the server is stopping."""
        deadline = None if seconds is None else time.monotonic() + seconds
        while not self.server.stopping.is_set():
            remaining = 0.05 if deadline is None else deadline - time.monotonic()
            if remaining <= 0:
                return True
            try:
                readable, _, _ = select.select([self.connection], [], [], min(remaining, 0.05))
            except (OSError, ValueError):
                return False
            if readable:
                if self._client_gone():
                    return False
                time.sleep(min(remaining, 0.05))  # unexpected bytes: do not spin on them
        return False

    def _write_chunk(self, obj: dict) -> bool:
        data = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        try:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            return True
        except OSError:
            return False

    def _send(self, status: int, body: bytes, ctype: str = "text/plain; charset=utf-8",
              head: bool = False) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)
        except OSError:
            self.close_connection = True

    def _send_json(self, status: int, obj: Any) -> None:
        data = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
        self._send(status, data, "application/json; charset=utf-8")


_TEKKEN: list[Any] = []


def tekken_prompt_count(request: dict) -> int:
    """prompt_eval_count as Ollama computes it for a Mistral model (no truncation): the length of
    mistral-common's encoding of the request with Nemo's tokenizer (loaded once, offline)."""
    from mistral_common.protocol.instruct.messages import AssistantMessage, SystemMessage, UserMessage
    from mistral_common.protocol.instruct.request import ChatCompletionRequest

    if not _TEKKEN:
        import os

        import mistral_common
        from mistral_common.tokens.tokenizers.mistral import MistralTokenizer

        path = os.path.join(os.path.dirname(mistral_common.__file__), "data", "tekken_240718.json")
        _TEKKEN.append(MistralTokenizer.from_file(path))
    kinds = {"system": SystemMessage, "user": UserMessage, "assistant": AssistantMessage}
    messages = [kinds[m["role"]](content=m.get("content") or "") for m in request.get("messages") or []]
    try:
        return len(_TEKKEN[0].encode_chat_completion(ChatCompletionRequest(messages=messages)).tokens)
    except Exception:  # noqa: BLE001 - shapes mistral-common rejects: fall back to words
        return sum(len(str(m.get("content") or "").split()) for m in request.get("messages") or [])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m tests.standin", description="Ollama API stand-in")
    ap.add_argument("--port", type=int, default=11500)
    ap.add_argument("--chunks-per-second", type=float, default=None)
    ap.add_argument("--first-token-delay", type=float, default=0.0)
    ap.add_argument("--long-reply", action="store_true", help="answer with a ~2000-chunk Markdown reply")
    ap.add_argument("--verbose", action="store_true", help="log every request to stderr")
    ap.add_argument("--word-counts", action="store_true",
                    help="report prompt_eval_count as a word count instead of Tekken's exact count")
    args = ap.parse_args(argv)
    st = OllamaStandin(port=args.port)
    st.chunks_per_second = args.chunks_per_second
    st.first_token_delay = args.first_token_delay
    st.verbose = args.verbose
    if args.long_reply:
        st.chunks = long_markdown_reply()
    if not args.word_counts:
        st.prompt_eval_count = tekken_prompt_count
    st.start()
    print(f"Ollama stand-in listening on {st.url}  (OLLAMA_HOST={st.url}); Ctrl+C to stop", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        st.stop()


if __name__ == "__main__":
    main()
