"""/chats, /rename, /search and /export, and the Ctrl+L chat list (mixed into NemoApp)."""

from __future__ import annotations

import shlex
from pathlib import Path

from nemo_tui.core.commands import Command, CommandError
from nemo_tui.core.export import ExportError, parse_format, render, target_path, write_text
from nemo_tui.core.store import SearchHit, StoreError
from nemo_tui.ui.history import HistoryMixin
from nemo_tui.ui.screens.chats import TITLE_LIMIT, ChatListScreen, plain
from nemo_tui.ui.screens.search import SearchScreen

SEARCH_LIMIT = 100
FORMAT_NAMES = {"md": "Markdown", "json": "JSON"}


def parse_export_args(args: str) -> tuple[str | None, str | None]:
    """'/export [PATH] [--format md|json]' → (path or None, format or None)."""
    try:
        words = shlex.split(args)
    except ValueError as exc:
        raise CommandError(f"/export: {exc} (quote a path that has spaces).") from exc
    path: str | None = None
    fmt: str | None = None
    while words:
        word = words.pop(0)
        if word in ("--format", "-f"):
            if not words:
                raise CommandError("/export: --format needs md or json.")
            fmt = words.pop(0)
        elif word.startswith("--format="):
            fmt = word.partition("=")[2]
        elif word in ("--json", "--md", "--markdown"):
            fmt = word[2:]
        elif word.startswith("-") and len(word) > 1:
            raise CommandError(f"/export: unknown option {word}. Usage: /export [PATH] [--format md|json]")
        elif path is None:
            path = word
        else:
            raise CommandError("/export takes one PATH (quote a path that has spaces).")
    try:
        fmt = parse_format(fmt) if fmt is not None else None
    except ExportError as exc:
        raise CommandError(str(exc)) from exc
    return path, fmt


class HistoryCommands(HistoryMixin):
    SLASH_COMMANDS = (
        Command("chats", "saved chats: open, rename, delete", key="Ctrl+L", aliases=("history",)),
        Command("rename", "rename this chat", args="TITLE"),
        Command("search", "search every saved chat", args="TEXT"),
        Command("export", "save this chat as Markdown or JSON", args="[PATH] [--format json]"),
    )

    # -- the chat list ------------------------------------------------------------------------
    def action_chats(self) -> None:
        """Ctrl+L: open the chat list, or close it when it is on top."""
        if isinstance(self.screen, ChatListScreen):  # type: ignore[attr-defined]
            self.screen.dismiss(None)  # type: ignore[attr-defined]
            return
        if self.store is None or any(isinstance(s, ChatListScreen)
                                     for s in self.screen_stack):  # type: ignore[attr-defined]
            return  # a dialog of the list is open
        screen = ChatListScreen(self.store, self.conversation.id,  # type: ignore[attr-defined]
                                self.rename_chat, self.delete_chat)
        self.push_screen(screen, self._open_listed)  # type: ignore[attr-defined]

    async def _open_listed(self, chat_id: int | None) -> None:
        if chat_id is not None:
            await self.open_chat(chat_id)

    async def cmd_chats(self, args: str) -> None:
        self.action_chats()

    def rename_chat(self, chat_id: int, title: str) -> None:
        self.store.rename_chat(chat_id, title)  # type: ignore[union-attr]
        if chat_id == self.conversation.id:  # type: ignore[attr-defined]
            self.conversation.title = title  # type: ignore[attr-defined]

    async def delete_chat(self, chat_id: int) -> None:
        """Delete a saved chat; deleting the open one starts a new chat."""
        current = chat_id == self.conversation.id  # type: ignore[attr-defined]
        if current:
            await self._stop_reply()  # it must not write into the chat being deleted
        self.store.delete_chat(chat_id)  # type: ignore[union-attr]
        if current:
            await self.cmd_new("")  # type: ignore[attr-defined]

    async def cmd_rename(self, args: str) -> None:
        title = " ".join(args.split())
        if not title:
            raise CommandError("Usage: /rename TITLE, e.g. /rename Trip to Lisbon")
        if len(title) > TITLE_LIMIT:
            raise CommandError(f"A title can have at most {TITLE_LIMIT} characters ({len(title)} given).")
        conv = self.conversation  # type: ignore[attr-defined]
        if conv.id is None:
            conv.title = title  # saved with the chat's first message
        else:
            try:
                self.rename_chat(conv.id, title)
            except StoreError as exc:
                raise CommandError(f"Cannot rename the chat: {exc}") from exc
        self.notify(f"Chat renamed to “{plain(title)}”.", markup=False)  # type: ignore[attr-defined]

    # -- search -------------------------------------------------------------------------------
    async def cmd_search(self, args: str) -> None:
        text = args.strip()
        if not text:
            raise CommandError("Usage: /search TEXT, e.g. /search kv cache")
        try:
            hits = self.store.search(text, limit=SEARCH_LIMIT)  # type: ignore[union-attr]
        except StoreError as exc:
            raise CommandError(f"Search failed: {exc}") from exc
        if not hits:
            self.notify(f"No saved message contains “{plain(text)}”.", markup=False)  # type: ignore[attr-defined]
            return
        self.push_screen(SearchScreen(text, hits, SEARCH_LIMIT), self._open_hit)  # type: ignore[attr-defined]

    async def _open_hit(self, hit: SearchHit | None) -> None:
        if hit is not None:
            await self.open_chat(hit.chat_id, hit.message_id)

    # -- export -------------------------------------------------------------------------------
    async def cmd_export(self, args: str) -> None:
        path, fmt = parse_export_args(args)
        if fmt is None:
            fmt = "json" if path and path.lower().endswith(".json") else "md"
        conv = self.conversation  # type: ignore[attr-defined]
        if not conv.messages:
            raise CommandError("Nothing to export yet: this chat has no messages.")
        try:
            target = target_path(conv, fmt, path, Path.cwd())
            write_text(target, render(conv, fmt))
        except ExportError as exc:
            raise CommandError(str(exc)) from exc
        count = len(conv.messages)
        await self.show_note(  # type: ignore[attr-defined]
            f"Exported this chat ({count:,} message{'s' if count != 1 else ''}) as "
            f"{FORMAT_NAMES[fmt]} to {target}", "info")
