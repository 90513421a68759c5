"""The slash-command registry: name, arguments, help text, and the handler name it asks for.

One registry feeds the prompt (parsing and completion), /help and the command palette, so a
later feature adds one entry and a handler method, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class CommandError(ValueError):
    """A slash command that cannot run as typed; the message says why and how."""


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    args: str = ""  # usage, e.g. "N" or "PATH..."
    key: str = ""  # the key binding that does the same, shown in /help
    aliases: tuple[str, ...] = ()

    @property
    def handler(self) -> str:
        """Name of the app method that runs it: /new → cmd_new."""
        return "cmd_" + self.name.replace("-", "_")

    @property
    def usage(self) -> str:
        return f"/{self.name} {self.args}".rstrip()


@dataclass
class CommandRegistry:
    commands: dict[str, Command] = field(default_factory=dict)
    _aliases: dict[str, str] = field(default_factory=dict)

    def add(self, command: Command) -> None:
        self.commands[command.name] = command
        for alias in command.aliases:
            self._aliases[alias] = command.name

    def get(self, name: str) -> Command | None:
        name = name.lower()
        return self.commands.get(self._aliases.get(name, name))

    def parse(self, text: str) -> tuple[Command, str]:
        """Split '/name args' into its command and argument text."""
        if not text.startswith("/"):
            raise CommandError("Not a command.")
        name, _, rest = text[1:].strip().partition(" ")
        command = self.get(name)
        if command is None:
            near = self.complete("/" + name[:2]) if name else []
            hint = f" Did you mean {', '.join(near[:3])}?" if near else ""
            raise CommandError(f"Unknown command /{name}.{hint} /help lists them all.")
        return command, rest.strip()

    def complete(self, prefix: str) -> list[str]:
        """'/mo' → ['/model']: command names starting with what was typed."""
        stem = prefix.lstrip("/").lower()
        names = sorted(set(self.commands) | set(self._aliases))
        return ["/" + n for n in names if n.startswith(stem)]

    def __iter__(self):
        return iter(sorted(self.commands.values(), key=lambda c: c.name))


def looks_like_command(text: str) -> bool:
    """'/new' is a command; '/usr/bin is…' or '//comment' typed as a prompt is not."""
    if not text.startswith("/") or text.startswith("//"):
        return False
    first = text[1:].split(maxsplit=1)[0] if text[1:].strip() else ""
    return bool(first) and "/" not in first
