"""The slash commands' handlers (mixed into NemoApp) and the registry that names them."""

from __future__ import annotations

from nemo_tui.core.commands import Command, CommandRegistry
from nemo_tui.ui.screens.help import HelpScreen, help_text

KEYS = [
    ("Enter", "send the prompt"),
    ("Shift+Enter", "new line (Ctrl+J in terminals without Shift+Enter)"),
    ("Up / Down", "earlier prompts, when the prompt is empty"),
    ("Tab", "complete a /command (Up/Down choose in the list above the prompt)"),
    ("Esc", "stop the reply (the partial reply is kept)"),
    ("Ctrl+R", "retry the last turn"),
    ("Ctrl+N", "new chat"),
    ("Ctrl+L", "saved chats: Enter opens, r renames, d deletes (/search finds text)"),
    ("Ctrl+O", "copy the last reply (/copy code N: a code block)"),
    ("Ctrl+T", "pick a theme (saved to the config file)"),
    ("Ctrl+G", "pick the model for this chat, or auto mode (/model)"),
    ("Ctrl+Up", "focus the last message; then Up/Down move, C copies it,"),
    ("", "B copies its last code block, Esc goes back to the prompt"),
    ("Ctrl+P", "command palette"),
    ("F1", "this help"),
    ("Ctrl+Q", "quit"),
]


def build_registry(app_class: type) -> CommandRegistry:
    """Every command declared in a `SLASH_COMMANDS` tuple anywhere in the app's classes.

    Each feature is a mixin holding its SLASH_COMMANDS and their `cmd_<name>(args)` handlers, so a
    feature adds its commands without touching the others.
    """
    registry = CommandRegistry()
    for cls in reversed(app_class.__mro__):
        for command in cls.__dict__.get("SLASH_COMMANDS", ()):
            if not callable(getattr(app_class, command.handler, None)):
                raise TypeError(f"/{command.name} has no handler {command.handler}")
            registry.add(command)
    return registry


class CommandHandlers:
    """The basic commands. Each `cmd_<name>(args)` runs one; raise CommandError to complain."""

    SLASH_COMMANDS = (
        Command("new", "start a fresh conversation", key="Ctrl+N"),
        Command("help", "list commands and keys", key="F1", aliases=("?",)),
        Command("quit", "leave nemo-tui", key="Ctrl+Q", aliases=("exit", "q")),
        Command("retry", "send the last prompt again", key="Ctrl+R"),
    )

    async def cmd_new(self, args: str) -> None:
        if self.session.running:
            self.workers.cancel_group(self, "reply")
        self.conversation = self._new_conversation()
        self.session = self._new_session()
        self.views.clear()
        await self.chat.remove_children()
        self.notify("New chat.")

    async def cmd_help(self, args: str) -> None:
        await self.push_screen(HelpScreen(help_text(self.registry, KEYS)))

    async def cmd_quit(self, args: str) -> None:
        self.exit()

    async def cmd_retry(self, args: str) -> None:
        await self.action_retry()
