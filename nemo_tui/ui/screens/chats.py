"""Ctrl+L / /chats: the saved chats. Enter opens one, r renames it, d deletes it (asks first).

Titles are the user's own text: shown as data (rich Text / Content), never as markup.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Static

from nemo_tui.core.sanitize import safe_display
from nemo_tui.core.store import ChatSummary, HistoryStore, StoreError

LIST_LIMIT = 1000
TITLE_LIMIT = 200

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 72; height: auto; border: round $primary; background: $surface; padding: 1 2;
}}
{name} .dialog-error {{ color: $error; height: auto; }}
{name} Horizontal {{ height: auto; align-horizontal: right; margin-top: 1; }}
{name} Button {{ margin-left: 2; }}
"""


def when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def plain(text: str) -> str:
    return safe_display(" ".join(text.split()))


class RenameScreen(ModalScreen[str | None]):
    """Asks for a new title; dismisses with it, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = DIALOG_CSS.format(name="RenameScreen")

    def __init__(self, title: str) -> None:
        super().__init__()
        self.old_title = title

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Rename the chat (Enter saves, Esc cancels):", markup=False)
            yield Input(value=self.old_title, id="rename-input", max_length=TITLE_LIMIT)
            yield Static("", classes="dialog-error", id="rename-error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#rename-error").display = False
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        title = " ".join(event.value.split())
        if not title:
            error = self.query_one("#rename-error", Static)
            error.update(Content("A title cannot be empty; type one, or Esc keeps the old title."))
            error.display = True
            return
        self.dismiss(title)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; Cancel is focused, so Enter alone never deletes anything."""

    BINDINGS = [
        Binding("escape,n", "answer(False)", "Cancel"),
        Binding("y", "answer(True)", "Yes"),
    ]
    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmScreen")

    def __init__(self, question: str, yes: str = "Delete") -> None:
        super().__init__()
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(self.question), markup=False, id="confirm-question")
            with Horizontal():
                yield Button(Content(self.yes), id="confirm-yes", variant="error")
                yield Button("Cancel", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class ChatListScreen(ModalScreen[int | None]):
    """Dismisses with the id of the chat to open, or None."""

    BINDINGS = [
        Binding("escape,ctrl+l", "close", "Close"),
        Binding("r", "rename", "Rename"),
        Binding("d,delete", "delete", "Delete"),
    ]
    DEFAULT_CSS = """
    ChatListScreen { align: center middle; }
    ChatListScreen > Vertical {
        width: 95%; max-width: 140; height: 85%; border: round $primary; background: $surface;
        padding: 0 1;
    }
    ChatListScreen #chats-title { text-style: bold; height: 1; margin-bottom: 1; }
    ChatListScreen DataTable { height: 1fr; }
    ChatListScreen #chats-keys { color: $text-muted; height: 1; }
    """

    def __init__(
        self,
        store: HistoryStore,
        current_id: int | None,
        rename: Callable[[int, str], None],
        delete: Callable[[int], Awaitable[None]],
    ) -> None:
        """`rename` and `delete` do the work (and may raise StoreError); the list only asks."""
        super().__init__()
        self.store = store
        self.current_id = current_id
        self.rename = rename
        self.delete = delete
        self.chats: list[ChatSummary] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Chats", id="chats-title", markup=False)
            yield DataTable(id="chats-table", cursor_type="row", zebra_stripes=True)
            yield Static("Enter open · r rename · d delete · Esc close", id="chats-keys",
                         markup=False)

    @property
    def table(self) -> DataTable:
        return self.query_one("#chats-table", DataTable)

    def on_mount(self) -> None:
        self.table.add_columns("", "Title", "Model", "Last used", "Messages", "ID")
        self.reload(select=self.current_id)
        self.table.focus()

    def reload(self, select: int | None = None) -> None:
        try:
            self.chats = self.store.list_chats(limit=LIST_LIMIT)
        except StoreError as exc:
            self.notify(f"Cannot list the chats: {exc}", severity="error", markup=False)
            self.chats = []
        table = self.table
        row = table.cursor_row
        table.clear()
        for chat in self.chats:
            table.add_row(
                "●" if chat.id == self.current_id else "",
                Text(plain(chat.title) or "Untitled chat"),
                Text(plain(chat.model)),
                when(chat.updated_at),
                Text(f"{chat.message_count:,}", justify="right"),
                Text(str(chat.id), justify="right"),
                key=str(chat.id),
            )
        count = len(self.chats)
        title = f"Chats ({count:,})" if count < LIST_LIMIT else f"The {LIST_LIMIT:,} most recent chats"
        self.query_one("#chats-title", Static).update(title if count else "No saved chats yet")
        ids = [c.id for c in self.chats]
        if select in ids:
            table.move_cursor(row=ids.index(select))
        elif count:
            table.move_cursor(row=min(max(row, 0), count - 1))

    def selected(self) -> ChatSummary | None:
        if not self.chats or self.table.cursor_row < 0:
            return None
        return self.chats[min(self.table.cursor_row, len(self.chats) - 1)]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        chat = self.selected()
        if chat is not None:
            self.dismiss(chat.id)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_rename(self) -> None:
        chat = self.selected()
        if chat is None:
            return

        def done(title: str | None) -> None:
            if not title or title == chat.title:
                return
            try:
                self.rename(chat.id, title)
            except StoreError as exc:
                self.notify(f"Cannot rename the chat: {exc}", severity="error", markup=False)
                return
            self.reload(select=chat.id)

        self.app.push_screen(RenameScreen(chat.title), done)

    def action_delete(self) -> None:
        chat = self.selected()
        if chat is None:
            return
        noun = "message" if chat.message_count == 1 else "messages"
        question = (f"Delete “{plain(chat.title) or 'Untitled chat'}” and its "
                    f"{chat.message_count:,} {noun}? This cannot be undone.")
        if chat.id == self.current_id:
            question += " It is the open chat: a new one starts."

        async def done(yes: bool | None) -> None:
            if not yes:
                return
            try:
                await self.delete(chat.id)
            except StoreError as exc:
                self.notify(f"Cannot delete the chat: {exc}", severity="error", markup=False)
                return
            if chat.id == self.current_id:
                self.current_id = None
            self.reload()

        self.app.push_screen(ConfirmScreen(question), done)
