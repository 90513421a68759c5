"""The app side of the chat history: open the store, resume a chat, switch chats.

Mixed into NemoApp (commands_history.py adds the commands and screens; history_view.py the
lazy display). The store opens when the app is built (a few ms) and never stops the app: a
database it cannot use becomes a warning and an in-memory store for the session.

Textual calls `on_mount`/`on_unmount` of every class in the app's MRO, so these run after
NemoApp's own.
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

from nemo_tui.core.conversation import Conversation
from nemo_tui.core.store import MEMORY, ChatNotFoundError, HistoryStore, StoreError
from nemo_tui.ui.history_view import StoredChatView

HISTORY_FILE = "history.db"


def mark_interrupted(conv: Conversation) -> Conversation:
    """A reply still 'streaming' in a loaded chat is not being written by us: interrupted."""
    for message in conv.messages:
        if message.status == "streaming":
            message.status = "interrupted"
    return conv


class HistoryMixin(StoredChatView):
    store: HistoryStore | None = None
    history_notes: tuple[tuple[str, str], ...] = ()  # (kind, text) shown once the chat is on screen

    def _note_later(self, kind: str, text: str) -> None:
        self.history_notes = (*self.history_notes, (kind, text))

    # -- startup ---------------------------------------------------------------------------
    def _open_history(self) -> HistoryStore:
        """The history database, or an in-memory one (with a warning) if it cannot be used."""
        self.history_notes = ()
        path = Path(self.settings.data_dir).expanduser() / HISTORY_FILE  # type: ignore[attr-defined]
        try:
            store, notice = HistoryStore.open_or_recover(path)
        except Exception as exc:  # noqa: BLE001 - never stop the app over its history
            self._note_later(
                "warning",
                f"Chat history is off for this session: {exc}. Chats are kept in memory only "
                "and are lost when you quit (--data-dir or NEMO_TUI_DATA_DIR picks another folder).",
            )
            return HistoryStore.open(MEMORY)
        if notice:
            self._note_later("warning", notice)
        return store

    def _resumed_conversation(self, resume: int | str | None) -> Conversation | None:
        """The chat `resume` names ("last" or an id), loaded; None (with a note) if none."""
        if resume is None or self.store is None:
            return None
        try:
            chat_id = self.store.most_recent_chat_id() if resume == "last" else int(resume)
            if chat_id is None:
                self._note_later("info", "There is no saved chat to continue yet.")
                return None
            conv = self.store.load_chat(chat_id)
        except ChatNotFoundError:
            self._note_later("warning", f"There is no chat {resume} in the history, so this is a "
                             "new chat. Ctrl+L lists the saved chats.")
            return None
        except (StoreError, ValueError) as exc:
            self._note_later("error", f"Could not open chat {resume}: {exc}")
            return None
        return mark_interrupted(conv)

    async def on_mount(self) -> None:
        if self.conversation.messages:  # type: ignore[attr-defined]
            await self.show_stored_chat()
        notes, self.history_notes = self.history_notes, ()
        for kind, text in notes:
            await self.show_note(text, kind)  # type: ignore[attr-defined]

    async def _shutdown(self) -> None:
        """Before Textual takes the screens down, stop a streaming reply: it is saved as
        stopped with all that arrived, and does not touch widgets that are gone.
        (Textual's own shutdown step; if it is ever renamed, on_unmount still saves.)"""
        if self.session.running:  # type: ignore[attr-defined]
            await self._stop_reply()
        await super()._shutdown()  # type: ignore[misc]

    async def on_unmount(self) -> None:
        """Save a reply cut off by quitting (as interrupted), then close the store.

        Textual unmounts the app after its screens are gone, so the reply's worker cannot
        finish its own bookkeeping any more: the session is detached from the store first."""
        store, self.store = self.store, None
        if store is None:
            return
        self.session.store = None  # type: ignore[attr-defined]
        self._drop_if_empty(store)
        messages = self.conversation.messages  # type: ignore[attr-defined]
        last = messages[-1] if messages else None
        try:
            if last is not None and last.id is not None and last.status == "streaming":
                store.update_message(dataclasses.replace(last, status="interrupted"))
        except StoreError:
            pass  # it stays 'streaming' and is marked interrupted when the store next opens
        finally:
            store.close()

    # -- switching chats --------------------------------------------------------------------
    def _drop_if_empty(self, store: HistoryStore | None = None) -> None:
        """Leaving a chat whose only turn was taken back (the server was away, say): its row
        holds no message, and an empty chat must not clutter the list or `--continue`."""
        store = store or self.store
        conv = self.conversation  # type: ignore[attr-defined]
        if store is not None and conv.id is not None and not conv.messages:
            try:
                store.delete_chat(conv.id)
            except StoreError:
                pass

    async def cmd_new(self, args: str) -> None:
        self._drop_if_empty()
        await super().cmd_new(args)  # type: ignore[misc]

    async def _stop_reply(self) -> None:
        """Cancel a streaming reply and wait until it is saved as stopped."""
        for worker in self.workers.cancel_group(self, "reply"):  # type: ignore[attr-defined]
            try:
                await asyncio.wait_for(worker.wait(), timeout=3.0)
            except Exception:  # noqa: BLE001 - cancelled is the expected outcome
                pass

    async def replace_conversation(self, conv: Conversation) -> None:
        """Show `conv` instead of the current chat (stopping a reply first)."""
        await self._stop_reply()
        self._drop_if_empty()
        self._generation += 1
        self.conversation = conv  # type: ignore[attr-defined]
        self.session = self._new_session()  # type: ignore[attr-defined]
        self.views.clear()  # type: ignore[attr-defined]
        await self.chat.remove_children()  # type: ignore[attr-defined]
        await self.show_stored_chat()
        # The model choice's tokenizers (auto mode counts with two), else the gauge's own;
        # refresh_gauge (called by show_stored_chat) redraws the gauge and the status line.
        load_routes: Any = getattr(self, "_load_route_tokenizers", None)
        load_one: Any = getattr(self, "load_tokenizer", None)
        if callable(load_routes):
            load_routes()
        elif callable(load_one):
            self.status.set(model=conv.model)  # type: ignore[attr-defined]
            load_one(conv.model)
        self.prompt.focus()  # type: ignore[attr-defined]

    async def open_chat(self, chat_id: int, message_id: int | None = None) -> bool:
        """Open a saved chat (the current one stays as is), optionally at one message."""
        if chat_id != self.conversation.id:  # type: ignore[attr-defined]
            try:
                conv = self.store.load_chat(chat_id)  # type: ignore[union-attr]
            except StoreError as exc:
                self.notify(f"Cannot open that chat: {exc}", severity="error", markup=False)  # type: ignore[attr-defined]
                return False
            await self.replace_conversation(mark_interrupted(conv))
        if message_id is not None and not await self.show_message_of(message_id):
            self.notify("That message is no longer in the chat.", severity="warning")  # type: ignore[attr-defined]
        return True
