"""ChatSession: sequences one turn (route → count → save → send → stream → save).

It is the only place that knows the order of things. It talks to the screen through the
small `ChatSurface` protocol the app implements, so the order can be tested on its own.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, Protocol

from nemo_tui.core.backend import Done, Failed, OllamaBackend, Token
from nemo_tui.core.conversation import Attachment, Conversation, Message
from nemo_tui.core.router import Route
from nemo_tui.core.stats import describe_stats, reply_label

SAVE_INTERVAL = 1.0  # seconds between incremental saves of a streaming reply


class ReplyView(Protocol):
    def append(self, fragment: str) -> None: ...
    def set_waiting(self, text: str) -> None: ...
    async def finish(self) -> None: ...
    def set_footer(self, text: str, kind: str = "") -> None: ...


class ChatSurface(Protocol):
    async def show_message(self, message: Message, streaming: bool = False) -> ReplyView: ...
    async def remove_message(self, message: Message) -> None: ...
    def restore_prompt(self, text: str, attachments: list[Attachment]) -> None: ...
    async def show_note(self, text: str, kind: str = "info") -> None: ...
    def offer_pull(self, model: str, prompt: str, attachments: list[Attachment]) -> None: ...
    def turn_finished(self, message: Message) -> None: ...


class ChatSession:
    def __init__(
        self,
        conversation: Conversation,
        backend: OllamaBackend,
        surface: ChatSurface,
        *,
        route: Callable[[str, list[Attachment]], Route],
        request_extras: Callable[[str], tuple[str, dict[str, Any]]],
        predict_tokens: Callable[[str, list[dict[str, str]]], int | None] = lambda m, r: None,
        store: Any = None,
    ) -> None:
        self.conversation = conversation
        self.backend = backend
        self.surface = surface
        self._route = route
        # model → (language instruction, options) in force for a request to that model
        self._request_extras = request_extras
        self._predict = predict_tokens
        self.store = store
        self.running = False
        self._store_warned = False

    # -- persistence (never fatal: a full disk must not lose the on-screen chat) ---------
    def save_message(self, message: Message) -> None:
        """Commit a new message (creating the chat row with the first one)."""

        def add() -> None:
            if self.conversation.id is None:
                self.store.create_chat(self.conversation)
            self.store.add_message(self.conversation.id, message)

        self._persist(add)

    def update_message(self, message: Message) -> None:
        """Save a saved message's new content, status or figures."""
        if message.id is not None:
            self._persist(lambda: self.store.update_message(message))

    def save_chat(self) -> None:
        """Save the chat's own settings: title, model, num_ctx, language, system prompt…"""
        if self.conversation.id is not None:
            self._persist(lambda: self.store.update_chat(self.conversation))

    def _persist(self, write: Callable[[], Any]) -> None:
        if self.store is None:
            return
        try:
            write()
        except Exception as exc:  # noqa: BLE001 - report once, keep chatting
            if not self._store_warned:
                self._store_warned = True
                asyncio.get_running_loop().create_task(
                    self.surface.show_note(f"Could not save the chat history: {exc}", "error")
                )

    # -- a turn ----------------------------------------------------------------------------
    async def send(self, text: str, attachments: list[Attachment] | None = None) -> None:
        """Add the user's message and stream the reply to it."""
        attachments = list(attachments or [])
        user = Message("user", text, attachments=attachments)
        if not self.conversation.title:
            self.conversation.title = " ".join(text.split())[:60] or (
                attachments[0].path if attachments else "New chat"
            )
        self.conversation.messages.append(user)
        self.save_message(user)  # committed before the request goes out
        await self.surface.show_message(user)
        route = self._route(text, attachments)
        await self._stream_reply(route, user)

    async def retry(self) -> bool:
        """Send the last user message again, replacing a failed or stopped reply."""
        if self.running or not self.conversation.messages:
            return False
        last = self.conversation.messages[-1]
        if last.role == "assistant":
            if last.status == "complete":
                return False
            self.conversation.messages.pop()
            await self._forget(last)
        user = self.conversation.messages[-1]
        if user.role != "user":
            return False
        await self._stream_reply(self._route(user.content, user.attachments), user)
        return True

    async def _stream_reply(self, route: Route, user: Message) -> None:
        instruction, options = self._request_extras(route.model)
        messages = self.conversation.request_messages(instruction)
        reply = Message(
            "assistant", "", model=route.model, status="streaming", route_reason=route.reason,
            predicted_prompt_tokens=self._predict(route.model, messages),
        )
        self.conversation.messages.append(reply)
        self.save_message(reply)
        view = await self.surface.show_message(reply, streaming=True)
        self.running = True
        try:
            await self._consume(route, user, reply, messages, options, view)
        finally:
            self.running = False

    async def _consume(
        self, route: Route, user: Message, reply: Message,
        messages: list[dict[str, str]], options: dict[str, Any], view: ReplyView,
    ) -> None:
        started = time.monotonic()
        first_token: float | None = None
        last_save = started
        waiting = asyncio.create_task(self._tick_waiting(view, route.model, started))
        outcome: Done | Failed | None = None
        try:
            async for event in self.backend.chat(route.model, messages, options):
                if isinstance(event, Token):
                    if first_token is None:
                        first_token = time.monotonic() - started
                        waiting.cancel()
                    reply.content += event.text
                    view.append(event.text)
                    now = time.monotonic()
                    if now - last_save >= SAVE_INTERVAL:
                        last_save = now
                        self.update_message(reply)
                else:
                    outcome = event
        except asyncio.CancelledError:
            waiting.cancel()
            await self._end_stopped(reply, user, view)
            raise
        finally:
            waiting.cancel()
        await view.finish()
        if isinstance(outcome, Done):
            reply.status = "complete"
            reply.stats = dict(outcome.stats)
            if first_token is not None:
                reply.stats["first_token_s"] = round(first_token, 3)
            view.set_footer(self._footer(reply, describe_stats(outcome.stats, first_token)))
            self.update_message(reply)
            self.save_chat()
            self.surface.turn_finished(reply)
        else:
            await self._end_failed(reply, user, view, outcome or Failed("dropped", "The reply ended early."))

    def _footer(self, reply: Message, figures: str) -> str:
        label = reply_label(reply.model, reply.route_reason)
        return " · ".join(p for p in (label, figures) if p)

    async def _end_stopped(self, reply: Message, user: Message, view: ReplyView) -> None:
        if not reply.content:
            await self._undo_turn(reply, user)
            return
        reply.status = "stopped"
        await view.finish()
        view.set_footer(self._footer(reply, "■ stopped — partial reply kept (Ctrl+R to retry)"), "stopped")
        self.update_message(reply)
        self.surface.turn_finished(reply)

    async def _end_failed(self, reply: Message, user: Message, view: ReplyView, failed: Failed) -> None:
        reply.error = failed.message
        if not reply.content:
            # Nothing came back: undo the turn and give the prompt back, as if never sent.
            await self._undo_turn(reply, user)
            await self.surface.show_note(failed.message, "error")
            if failed.kind == "not_found":
                self.surface.offer_pull(reply.model or "", user.content, user.attachments)
            return
        reply.status = "error"
        view.set_footer(self._footer(reply, f"⚠ {failed.message} — partial reply kept; Ctrl+R retries"), "error")
        self.update_message(reply)
        self.surface.turn_finished(reply)

    async def _undo_turn(self, reply: Message, user: Message) -> None:
        for message in (reply, user):
            if message in self.conversation.messages:
                self.conversation.messages.remove(message)
            await self._forget(message)
        self.surface.restore_prompt(user.content, user.attachments)
        self.surface.turn_finished(reply)

    async def _forget(self, message: Message) -> None:
        """Take a message off the screen and out of the store."""
        await self.surface.remove_message(message)
        if self.store is not None and message.id is not None:
            try:
                self.store.delete_message(message.id)
            except Exception:  # noqa: BLE001 - what matters is on screen and in the prompt
                pass

    async def _tick_waiting(self, view: ReplyView, model: str, started: float) -> None:
        while True:
            seconds = int(time.monotonic() - started)
            view.set_waiting(f"waiting for {model} — {seconds} s (Esc stops)")
            await asyncio.sleep(1.0)
