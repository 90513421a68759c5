"""F1 / /help: every command and key, from the one registry."""

from __future__ import annotations

from textual.binding import Binding
from textual.content import Content

from nemo_tui.core.commands import CommandRegistry
from nemo_tui.ui.screens.text_screen import TextScreen


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


class HelpScreen(TextScreen):
    BINDINGS = [Binding("f1", "close", "Close", id="help-close")]
