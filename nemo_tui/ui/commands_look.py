"""Look and hands: themes (/theme, saved to the config file), the clipboard (/copy, keys on a
focused message), the keymap from settings, and slash-command completion as you type.

Mixed into NemoApp. Key bindings live in NemoApp.BINDINGS / MessageView.BINDINGS (Textual only
collects BINDINGS from widget classes); their actions are here.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from pathlib import Path

from textual.dom import DOMNode
from textual.widgets import Footer

from nemo_tui.core.clipboard import copy_text, extract_code_blocks
from nemo_tui.core.commands import Command, CommandError
from nemo_tui.core.config_edit import ConfigEditError, set_config_string
from nemo_tui.core.conversation import Message
from nemo_tui.ui.screens.theme_picker import ThemePicker
from nemo_tui.ui.themes import bundled_themes_dir, discover_themes
from nemo_tui.ui.widgets.command_suggest import (
    CommandSuggestions,
    completion_for,
    matching_commands,
    typing_command_name,
)
from nemo_tui.ui.widgets.message import MessageView
from nemo_tui.ui.widgets.prompt import PromptInput

DEFAULT_THEME = "nemo-dark"
FALLBACK_THEME = "textual-dark"  # only if the bundled themes are missing


def user_themes_dir(config_path: Path) -> Path:
    return Path(config_path).parent / "themes"


class LookCommands:
    SLASH_COMMANDS = (
        Command("theme", "switch theme and save it (no name: pick from a list)",
                args="[NAME]", key="Ctrl+T"),
        Command("copy", "copy the last reply, or its Nth code block",
                args="[code [N]]", key="Ctrl+O"),
    )

    # Tests replace this with a fake so they never touch the real system clipboard.
    clipboard_local_copy: Callable[[str], None] | None = None
    _theme_quiet = True  # theme changes are not saved until startup has chosen one
    _theme_applied: str | None = None
    theme_origins: dict[str, str] = {}  # theme name -> "bundled" / "yours"; set per app
    suggestions: CommandSuggestions | None = None  # mounted above the prompt

    # -- startup --------------------------------------------------------------------------
    def on_load(self) -> None:
        self.startup_warnings.extend(self._setup_themes())
        self.startup_warnings.extend(self._apply_keymap())

    def _setup_themes(self) -> list[str]:
        bundled = bundled_themes_dir()
        user_dir = user_themes_dir(self.settings.config_path)
        origins: dict[str, str] = {}
        warnings: list[str] = []
        for directory, origin in ((bundled, "bundled"), (user_dir, "yours")):
            themes, errors = discover_themes([directory])
            for theme in themes:
                self.register_theme(theme)
                origins[theme.name] = origin
            warnings += [f"Theme file not loaded: {error}" for error in errors]
        self.theme_origins = origins
        wanted = self.settings.theme
        if wanted not in self.available_themes:
            default = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else FALLBACK_THEME
            warnings.append(
                f"Unknown theme '{wanted}'{self._did_you_mean(wanted)}; using {default}. "
                f"/theme lists the themes; yours go in {user_dir}."
            )
            wanted = default
        self._theme_applied = wanted
        self.theme = wanted
        self._theme_quiet = False
        return warnings

    async def on_mount(self) -> None:
        self.suggestions = CommandSuggestions(id="suggest")
        await self.prompt.parent.mount(self.suggestions, before=self.prompt)
        for footer in self.query(Footer):
            footer.compact = True  # the main keys fit in 80 columns

    def _apply_keymap(self) -> list[str]:
        keymap = dict(self.settings.keymap)
        known = known_binding_ids()
        problems = [
            f"keymap: '{binding_id}' is not a binding id; "
            f"known ids: {', '.join(sorted(known))}"
            for binding_id in keymap if binding_id not in known
        ]
        self.set_keymap({k: v for k, v in keymap.items() if k in known})
        return problems + self._key_clashes(keymap)

    def _key_clashes(self, keymap: dict[str, str]) -> list[str]:
        """Two app keys on one key after the keymap: only one of them could work."""
        if not keymap:
            return []
        owners: dict[str, list[str]] = {}
        for binding in type(self).BINDINGS:
            if getattr(binding, "id", None):
                for key in keymap.get(binding.id, binding.key).split(","):
                    owners.setdefault(key.strip(), []).append(binding.id)
        return [
            f"keymap: {key} is now the key for {' and '.join(repr(i) for i in ids)}; "
            f"only one can work, give the other a different key in [keymap]"
            for key, ids in owners.items() if len(ids) > 1 and set(ids) & set(keymap)
        ]

    def notify(self, message: str, *, title: str = "", severity: str = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Errors and warnings carry a text marker too: readable without colour (NO_COLOR)."""
        if not title and severity in ("error", "warning"):
            title = "✕ Error" if severity == "error" else "⚠ Warning"
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    # -- themes ---------------------------------------------------------------------------
    def _did_you_mean(self, name: str) -> str:
        close = difflib.get_close_matches(name, list(self.available_themes), n=1, cutoff=0.6)
        return f" (did you mean {close[0]}?)" if close else ""

    def theme_choices(self) -> list[tuple[str, str]]:
        """(name, origin) for the picker: ours first, then Textual's own."""
        rank = {"yours": 0, "bundled": 0}
        names = sorted(self.available_themes, key=lambda n: (rank.get(self.theme_origins.get(n, ""), 1), n))
        return [(n, self.theme_origins.get(n, "Textual")) for n in names]

    def watch_theme(self, name: str) -> None:
        """Any switch after startup (the command palette's too) is saved."""
        previous, self._theme_applied = self._theme_applied, name
        if not self._theme_quiet and name != previous:
            self._save_theme(name)

    def _set_theme_quietly(self, name: str) -> None:
        self._theme_quiet = True
        try:
            self.theme = name
            self._theme_applied = name
        finally:
            self._theme_quiet = False

    def choose_theme(self, name: str) -> None:
        """Switch to ``name`` and save it in the config file."""
        self._set_theme_quietly(name)
        self._save_theme(name)

    def _save_theme(self, name: str) -> None:
        path = Path(self.settings.config_path)
        try:
            set_config_string(path, "theme", name)
        except ConfigEditError as exc:
            self.notify(f"Theme {name} for this session only — not saved: {exc}",
                        severity="warning", timeout=12, markup=False)
            return
        self.settings.theme = name
        override = os.environ.get("NEMO_TUI_THEME")
        note = f" (NEMO_TUI_THEME={override} still wins at startup)" if override else ""
        self.notify(f"Theme {name} — saved to {path}{note}.", markup=False)

    async def cmd_theme(self, args: str) -> None:
        name = args.strip()
        if not name:
            original = self.theme

            def chosen(result: str | None) -> None:
                if result is None:
                    self._set_theme_quietly(original)
                else:
                    self.choose_theme(result)

            await self.push_screen(ThemePicker(self.theme_choices(), original, self._set_theme_quietly), chosen)
            return
        if name not in self.available_themes:
            names = ", ".join(n for n, _ in self.theme_choices())
            raise CommandError(f"Unknown theme '{name}'{self._did_you_mean(name)}. Themes: {names}.")
        self.choose_theme(name)

    async def action_pick_theme(self) -> None:
        await self.cmd_theme("")

    # -- clipboard ------------------------------------------------------------------------
    def copy(self, text: str, what: str) -> None:
        """Copy and say honestly where it went."""
        result = copy_text(text, self.copy_to_clipboard, env=os.environ,
                           local_copy=self.clipboard_local_copy)
        lines = text.count("\n") + 1
        severity = "information" if result.system or result.ssh else "warning"
        self.notify(f"{what} ({lines} line{'s' if lines != 1 else ''}): {result.message}",
                    severity=severity, markup=False, timeout=6)

    def _last_reply(self) -> Message:
        for message in reversed(self.conversation.messages):
            if message.role == "assistant" and message.content:
                return message
        raise CommandError("Nothing to copy yet: there is no reply in this chat.")

    async def cmd_copy(self, args: str) -> None:
        words = args.split()
        reply = self._last_reply()
        partial = " so far" if reply.status == "streaming" else ""
        if not words:
            self.copy(reply.content, f"Copied the last reply{partial}")
            return
        if words[0].lower() != "code" or len(words) > 2:
            raise CommandError("Usage: /copy (the last reply) or /copy code [N] (its Nth code block).")
        blocks = extract_code_blocks(reply.content)
        if not blocks:
            raise CommandError("The last reply has no code blocks; /copy copies all of it.")
        number = len(blocks)
        if len(words) == 2:
            try:
                number = int(words[1])
            except ValueError:
                raise CommandError(f"/copy code N: N is a number from 1 to {len(blocks)}, not '{words[1]}'.") from None
            if not 1 <= number <= len(blocks):
                count = "1 code block" if len(blocks) == 1 else f"{len(blocks)} code blocks"
                raise CommandError(f"The last reply has {count}; use /copy code 1…{len(blocks)}.")
        self.copy(blocks[number - 1], f"Copied code block {number} of {len(blocks)}{partial}")

    async def action_copy_reply(self) -> None:
        try:
            await self.cmd_copy("")
        except CommandError as exc:
            self.notify(str(exc), severity="warning", markup=False)

    def message_of(self, view: MessageView) -> Message | None:
        return next((m for m in self.conversation.messages if self.views.get(id(m)) is view), None)

    def action_copy_focused(self, what: str = "message") -> None:
        view = self.focused
        message = self.message_of(view) if isinstance(view, MessageView) else None
        if message is None:
            return
        if what != "code":
            self.copy(message.content, "Copied the message")
            return
        blocks = extract_code_blocks(message.content)
        if not blocks:
            self.notify("This message has no code blocks; C copies all of it.", markup=False)
            return
        self.copy(blocks[-1], f"Copied code block {len(blocks)} of {len(blocks)}")

    def action_focus_message(self, step: int) -> None:
        views = list(self.chat.query_children(MessageView))
        if not views:
            return
        current = self.focused
        index = views.index(current) + step if current in views else len(views) - 1
        if 0 <= index < len(views):
            views[index].focus()

    def action_leave_message(self) -> None:
        """Esc on a message: stop a streaming reply, else go back to the prompt."""
        if self.session.running:
            self.action_stop()
        else:
            self.prompt.focus()

    # -- completion as you type ---------------------------------------------------------------
    def on_prompt_input_draft_changed(self, event: PromptInput.DraftChanged) -> None:
        suggest = self.suggestions
        if suggest is None:
            return
        if typing_command_name(event.text):
            suggest.show(matching_commands(self.registry, event.text))
        else:
            suggest.hide()

    def on_prompt_input_complete_requested(self, event: PromptInput.CompleteRequested) -> None:
        """Tab: completes a command name. Other completions (e.g. paths after `/attach `)
        plug in with their own `on_prompt_input_complete_requested` in their mixin: Textual
        calls the handler of every class in the app's MRO, and this one ignores any text
        that is not a bare command name."""
        if not typing_command_name(event.text):
            return
        suggest = self.suggestions
        command = suggest.chosen if suggest is not None else None
        if command is None:
            matches = matching_commands(self.registry, event.text)
            if not matches:
                self.bell()
                return
            command = matches[0]
        self.fill_prompt(completion_for(command))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "suggest_move":  # Up/Down go to the list only while it is shown
            suggest = self.suggestions
            return bool(suggest and suggest.display and suggest.commands
                        and self.focused is self.prompt)
        return super().check_action(action, parameters)

    def action_suggest_move(self, step: int) -> None:
        suggest = self.suggestions
        if suggest is not None and suggest.commands:
            current = suggest.highlighted or 0
            suggest.highlighted = (current + step) % len(suggest.commands)

    def on_option_list_option_selected(self, event) -> None:
        if isinstance(event.option_list, CommandSuggestions) and event.option.id:
            command = self.registry.get(event.option.id)
            if command is not None:
                self.fill_prompt(completion_for(command))

    def fill_prompt(self, text: str) -> None:
        prompt = self.prompt
        prompt.load_text(text)
        prompt.move_cursor(prompt.document.end)
        prompt.focus()


def known_binding_ids() -> set[str]:
    """Every binding id declared by a widget, screen or app class imported so far."""
    ids: set[str] = set()
    stack = [DOMNode]
    seen: set[type] = set()
    while stack:
        cls = stack.pop()
        if cls in seen:
            continue
        seen.add(cls)
        stack.extend(cls.__subclasses__())
        for binding in cls.__dict__.get("BINDINGS", ()):
            binding_id = getattr(binding, "id", None)
            if binding_id:
                ids.add(binding_id)
    return ids
