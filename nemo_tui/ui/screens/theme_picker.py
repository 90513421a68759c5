"""/theme with no name (Ctrl+T): every theme in a list, previewed as you move, Enter keeps it."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option


class ThemePicker(ModalScreen[str | None]):
    """Dismisses with the chosen theme's name, or None (the original theme is restored)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="theme-picker-cancel")]
    DEFAULT_CSS = """
    ThemePicker { align: center middle; }
    ThemePicker > Vertical {
        width: 60; max-width: 95%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    ThemePicker #theme-picker-title { height: auto; margin-bottom: 1; }
    ThemePicker OptionList { height: auto; max-height: 16; border: none; padding: 0; }
    """

    def __init__(
        self,
        themes: list[tuple[str, str]],
        current: str,
        preview: Callable[[str], None],
    ) -> None:
        """``themes``: (name, where it comes from) in display order; ``preview(name)``
        applies a theme without saving it."""
        super().__init__()
        self._themes = themes
        self._original = current
        self._preview = preview

    def compose(self) -> ComposeResult:
        options = []
        for name, origin in self._themes:
            mark = "● " if name == self._original else "  "
            label = Content.assemble(mark, (name, "bold"), "  ", (origin, "dim"))
            options.append(Option(label, id=name))
        with Vertical():
            yield Static(
                Content("Theme — ↑/↓ preview · Enter keep (saved) · Esc cancel"),
                id="theme-picker-title",
                markup=False,
            )
            yield OptionList(*options, id="theme-picker-list")

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        names = [name for name, _ in self._themes]
        if self._original in names:
            option_list.highlighted = names.index(self._original)
        option_list.focus()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self._preview(event.option.id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self._preview(self._original)
        self.dismiss(None)
