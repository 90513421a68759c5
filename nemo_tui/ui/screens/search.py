"""/search TEXT: matching messages across all chats; Enter opens the chat at the message."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from nemo_tui.core.store import SearchHit
from nemo_tui.ui.screens.chats import plain, when

SNIPPET_MAX = 64


class SearchScreen(ModalScreen[SearchHit | None]):
    """Dismisses with the hit to open, or None."""

    BINDINGS = [Binding("escape", "close", "Close")]
    DEFAULT_CSS = """
    SearchScreen { align: center middle; }
    SearchScreen > Vertical {
        width: 95%; max-width: 150; height: 85%; border: round $primary; background: $surface;
        padding: 0 1;
    }
    SearchScreen #search-title { text-style: bold; height: auto; margin-bottom: 1; }
    SearchScreen DataTable { height: 1fr; }
    SearchScreen #search-keys { color: $text-muted; height: 1; }
    """

    def __init__(self, query: str, hits: list[SearchHit], limit: int) -> None:
        super().__init__()
        self.query_text = query
        self.hits = hits
        self.limit = limit

    def compose(self) -> ComposeResult:
        count = len(self.hits)
        noun = "message matches" if count == 1 else "messages match"
        title = f"{count:,} {noun} “{plain(self.query_text)}”"
        if count >= self.limit:
            title += f" (the {self.limit} most recent shown)"
        with Vertical():
            yield Static(Content(title), id="search-title", markup=False)
            yield DataTable(id="search-table", cursor_type="row", zebra_stripes=True)
            yield Static("Enter opens the chat at the message · Esc closes", id="search-keys",
                         markup=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Chat", "", "Message", "When")
        for i, hit in enumerate(self.hits):
            snippet = plain(hit.snippet)
            if len(snippet) > SNIPPET_MAX:
                snippet = snippet[: SNIPPET_MAX - 1] + "…"
            table.add_row(
                Text(plain(hit.title)[:32] or "Untitled chat"),
                "You" if hit.role == "user" else "AI",
                Text(snippet),
                when(hit.created_at),
                key=str(i),
            )
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        row = event.cursor_row
        if 0 <= row < len(self.hits):
            self.dismiss(self.hits[row])

    def action_close(self) -> None:
        self.dismiss(None)
