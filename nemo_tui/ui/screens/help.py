"""F1 / /help: every command and key, from the one registry."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static
from textual.content import Content

from nemo_tui.core.commands import CommandRegistry


def help_text(registry: CommandRegistry, keys: list[tuple[str, str]]) -> Content:
    lines: list[Content | str] = [Content.styled("Commands\n", "bold")]
    width = max((len(c.usage) for c in registry), default=10) + 2
    for command in registry:
        key = f"  [{command.key}]" if command.key else ""
        lines.append(f"  {command.usage.ljust(width)}{command.help}{key}\n")
    lines.append(Content.styled("\nKeys\n", "bold"))
    for key, description in keys:
        lines.append(f"  {key.ljust(14)}{description}\n")
    lines.append("\nEsc or F1 closes this help.")
    return Content.assemble(*lines)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90%; max-width: 100; height: 80%; border: round $primary; background: $surface;
        padding: 1 2;
    }
    """

    def __init__(self, body: Content) -> None:
        super().__init__()
        self._body = body

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self._body, markup=False)

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
