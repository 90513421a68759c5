"""Slash commands matching what is typed, shown just above the prompt while a command name is
being typed ("/" and no space yet). Tab in the prompt takes the highlighted one."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from nemo_tui.core.commands import Command, CommandRegistry

def typing_command_name(text: str) -> bool:
    """True while the prompt holds only the start of a command name: "/", "/th"."""
    return text.startswith("/") and not text.startswith("//") and not any(c.isspace() for c in text)


def matching_commands(registry: CommandRegistry, text: str) -> list[Command]:
    """Commands whose name (or an alias) starts with what follows the "/"; exact first."""
    stem = text[1:].lower()
    found: list[Command] = []
    for name in registry.complete("/" + stem):
        command = registry.get(name[1:])
        if command is not None and command not in found:
            found.append(command)
    found.sort(key=lambda c: (c.name != stem and stem not in c.aliases, c.name))
    return found


def completion_for(command: Command) -> str:
    """What Tab puts in the prompt: the name, and a space when arguments may follow."""
    return f"/{command.name} " if command.args else f"/{command.name}"


class CommandSuggestions(OptionList):
    """Never focused: the prompt keeps the keyboard; Tab there (or a click here) accepts."""

    can_focus = False
    DEFAULT_CSS = """
    CommandSuggestions {
        height: auto;
        max-height: 7;
        margin: 0 1;
        padding: 0 1;
        border: none;
        background: $surface;
        display: none;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.commands: list[Command] = []

    def show(self, commands: list[Command]) -> None:
        """All matches; the list scrolls (Up/Down in the prompt move the highlight)."""
        if [c.name for c in commands] == [c.name for c in self.commands] and self.display:
            return
        self.commands = list(commands)
        self.clear_options()
        if not self.commands:
            self.display = False
            return
        width = max(len(c.usage) for c in self.commands) + 2
        options = []
        for command in self.commands:
            key = f"  [{command.key}]" if command.key else ""
            label = Content.assemble((command.usage.ljust(width), "bold"), command.help, (key, "dim"))
            options.append(Option(label, id=command.name))
        self.add_options(options)
        self.highlighted = 0
        self.display = True

    def hide(self) -> None:
        if self.display:
            self.display = False
        self.commands = []

    @property
    def chosen(self) -> Command | None:
        if not self.display or not self.commands:
            return None
        index = self.highlighted if self.highlighted is not None else 0
        return self.commands[min(index, len(self.commands) - 1)]
