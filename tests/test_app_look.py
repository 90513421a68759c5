"""Pilot tests: themes load into the app, /theme switches live and is saved, keys and keymap,
slash-command completion as you type, prompt recall, the 80×24 layout and NO_COLOR."""

from __future__ import annotations

import tomllib

import pytest
from textual.color import Color
from textual.command import CommandPalette
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from nemo_tui.cli import main as cli_main
from nemo_tui.ui.app import NemoApp
from nemo_tui.ui.command_handlers import KEYS
from nemo_tui.ui.screens.help import HelpScreen
from nemo_tui.ui.screens.theme_picker import ThemePicker
from nemo_tui.ui.widgets.chat_view import Note
from nemo_tui.ui.widgets.status_line import StatusLine
from tests.conftest import wait_for
from tests.test_themes import GOOD


def notes(app, kind: str | None = None, about: str = "") -> list[str]:
    """Notes of a kind; `about` keeps those mentioning it (other features add their own)."""
    return [str(n.render()) for n in app.query(Note)
            if (kind is None or n.has_class(kind)) and about.lower() in str(n.render()).lower()]


def toasts(app) -> list[str]:
    return [n.message for n in app._notifications]


def user_theme(tmp_path, filename: str, text: str):
    directory = tmp_path / "themes"  # next to make_settings' config.toml
    directory.mkdir(exist_ok=True)
    (directory / filename).write_text(text, encoding="utf-8")
    return directory / filename


async def settle(pilot) -> None:
    """Let startup finish: connected (so a quick exit does not race the first poll), then idle."""
    status = pilot.app.screen_stack[0].query_one(StatusLine)
    await wait_for(lambda: status.state.connection == "online", pilot)
    await pilot.pause(0.1)


# -- themes at startup ------------------------------------------------------------------------

async def test_default_theme_and_bundled_ones(standin, make_app):
    app = make_app(standin.url)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.theme == "nemo-dark"
        assert {"nemo-dark", "nemo-light", "nemo-contrast", "amber-crt"} <= set(app.available_themes)
        assert app.current_theme.primary == "#76B900"
        assert notes(app, "warning", "theme") == []
        # Textual's own themes still work: the gauge variables have defaults.
        app.theme = "nord"
        await settle(pilot)
        assert "gauge-system" in app.theme_variables and "gauge-over" in app.theme_variables


async def test_user_theme_is_loaded_and_can_replace_a_bundled_one(standin, make_app, tmp_path):
    user_theme(tmp_path, "mine.toml", GOOD.replace('"test-theme"', '"my-green"'))
    user_theme(tmp_path, "dark.toml", GOOD.replace('"test-theme"', '"nemo-dark"').replace("#76B900", "#123456"))
    app = make_app(standin.url, theme="my-green")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.theme == "my-green"
        assert app.theme_origins["my-green"] == "yours"
        assert app.get_theme("nemo-dark").primary == "#123456"  # the user's file wins
        assert notes(app, "warning", "theme") == []


@pytest.mark.parametrize(
    "filename, text, problem",
    [
        ("broken.toml", 'name = "x"\ndark = \n', "invalid TOML"),
        ("typo.toml", 'primery = "#ffffff"\n' + GOOD, "unknown key 'primery'; did you mean 'primary'?"),
        ("short.toml", 'name = "x"\ndark = true\nprimary = "#ffffff"\n', "missing required keys"),
        ("colour.toml", GOOD.replace('panel = "#1A241C"', 'panel = "greenish"'), "key 'panel': 'greenish' is not a colour"),
    ],
)
async def test_bad_user_theme_is_a_warning_note_and_default_is_used(standin, make_app, tmp_path, filename, text, problem):
    path = user_theme(tmp_path, filename, text)
    app = make_app(standin.url)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.theme == "nemo-dark"
        warnings = notes(app, "warning", "theme")
        assert len(warnings) == 1
        assert str(path) in warnings[0].replace("\n", "") or path.name in warnings[0]
        assert problem in " ".join(warnings[0].split())
        assert warnings[0].startswith("⚠ ")


async def test_unknown_theme_setting_warns_and_uses_default(standin, make_app):
    app = make_app(standin.url, theme="nemo-drak")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.theme == "nemo-dark"
        (warning,) = notes(app, "warning", "theme")
        assert "Unknown theme 'nemo-drak'" in warning and "did you mean nemo-dark?" in warning
    assert not (app.settings.config_path).exists()  # nothing saved at startup


# -- switching and saving ---------------------------------------------------------------------

CONFIG = '# mine\nmodel = "mistral-nemo"\nlanguage = "de"\n\n[keymap]\nretry = "ctrl+g"\n'


async def test_theme_command_switches_live_and_saves(standin, make_app):
    app = make_app(standin.url)
    config = app.settings.config_path
    config.write_text(CONFIG)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        before = app.screen.styles.background
        app.prompt.load_text("/theme nemo-light")
        await pilot.press("enter")
        await settle(pilot)
        assert app.theme == "nemo-light"
        assert app.screen.styles.background != before
        assert app.screen.styles.background == Color.parse(app.current_theme.background)
        assert any("saved to" in t and str(config) in t for t in toasts(app))
    data = tomllib.loads(config.read_text())
    assert data == {"model": "mistral-nemo", "language": "de", "theme": "nemo-light", "keymap": {"retry": "ctrl+g"}}
    assert config.read_text().startswith("# mine\n")


async def test_unknown_theme_command_keeps_everything(standin, make_app):
    app = make_app(standin.url)
    config = app.settings.config_path
    config.write_text(CONFIG)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.prompt.load_text("/theme nemo-lite")
        await pilot.press("enter")
        await settle(pilot)
        assert app.theme == "nemo-dark"
        assert any("Unknown theme 'nemo-lite'" in t and "nemo-light" in t for t in toasts(app))
        assert app.prompt.text == "/theme nemo-lite"  # kept to fix
    assert config.read_text() == CONFIG


async def test_broken_config_is_not_written_and_says_so(standin, make_app):
    app = make_app(standin.url)
    config = app.settings.config_path
    config.write_text('model = "x"\nbroken\n')
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await app.run_command_text("/theme amber-crt")
        await settle(pilot)
        assert app.theme == "amber-crt"  # for this session
        (toast,) = [t for t in toasts(app) if "amber-crt" in t]
        assert "not saved" in toast and "not valid TOML" in toast and str(config) in toast
    assert config.read_text() == 'model = "x"\nbroken\n'


async def test_picker_previews_cancels_and_chooses(standin, make_app):
    app = make_app(standin.url)
    config = app.settings.config_path
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+t")
        await wait_for(lambda: isinstance(app.screen, ThemePicker), pilot)
        names = [name for name, _ in app.theme_choices()]
        assert names[:4] == ["amber-crt", "nemo-contrast", "nemo-dark", "nemo-light"]
        await pilot.press("down")  # preview, not saved
        await settle(pilot)
        assert app.theme == "nemo-light"
        assert not config.exists()
        await pilot.press("escape")
        await settle(pilot)
        assert app.theme == "nemo-dark" and not config.exists()
        await app.run_command_text("/theme")
        await wait_for(lambda: isinstance(app.screen, ThemePicker), pilot)
        await pilot.press("up", "up", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, ThemePicker)
        assert app.theme == "amber-crt"
    assert tomllib.loads(config.read_text()) == {"theme": "amber-crt"}


async def test_command_palette_theme_switch_is_saved(standin, make_app):
    app = make_app(standin.url)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.search_themes()  # the palette's "Change theme"
        await wait_for(lambda: isinstance(app.screen, CommandPalette), pilot)
        await pilot.press(*"contrast")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(lambda: app.theme == "nemo-contrast", pilot)
        await settle(pilot)
    assert tomllib.loads(app.settings.config_path.read_text()) == {"theme": "nemo-contrast"}


# -- keys -----------------------------------------------------------------------------------

async def test_keymap_from_settings_rebinds_and_warns_about_unknown_ids(standin, make_app):
    app = make_app(standin.url, keymap={"help": "f2", "theme": "f3", "nonsense": "f4"})
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        (warning,) = notes(app, "warning", "keymap")
        assert "'nonsense' is not a binding id" in warning and "help" in warning
        await pilot.press("f1")
        await settle(pilot)
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f2")
        await wait_for(lambda: isinstance(app.screen, HelpScreen), pilot)
        await pilot.press("escape")
        await pilot.press("f3")
        await wait_for(lambda: isinstance(app.screen, ThemePicker), pilot)


async def test_keymap_clash_is_a_warning(standin, make_app):
    app = make_app(standin.url, keymap={"retry": "ctrl+n"})
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        (warning,) = notes(app, "warning", "keymap")
        assert "ctrl+n is now the key for" in warning and "'retry'" in warning and "'new'" in warning


async def test_help_lists_every_shown_key_and_command(standin, make_app):
    app = make_app(standin.url)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        documented = {k.strip().lower() for key, _ in KEYS for k in key.split("/")}
        for binding in NemoApp.BINDINGS:  # F1 must list every key the app binds
            keys = {k.strip().replace("escape", "esc") for k in binding.key.split(",")}
            assert keys & documented, f"{binding.key} ({binding.description}) is missing from KEYS"
        await pilot.press("f1")
        await wait_for(lambda: isinstance(app.screen, HelpScreen), pilot)
        text = str(app.screen.query_one("Static").render())
        for usage in ("/theme [NAME]", "/copy [code [N]]", "Ctrl+O", "Ctrl+T", "Ctrl+Up"):
            assert usage in text


async def test_slash_commands_complete_as_you_type(standin, make_app):
    app = make_app(standin.url)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        suggest = app.suggestions
        assert not suggest.display
        await pilot.press("/")
        await settle(pilot)
        assert suggest.display and len(suggest.commands) > 3
        await pilot.press("t", "h")
        await settle(pilot)
        assert [c.name for c in suggest.commands] == ["theme"]
        assert "switch theme" in str(suggest.get_option_at_index(0).prompt)
        await pilot.press("tab")
        await settle(pilot)
        assert app.prompt.text == "/theme "
        # Up/Down choose in the list while it is shown (and move nothing in the prompt)
        app.prompt.load_text("/c")
        await settle(pilot)
        names = [c.name for c in suggest.commands]
        assert len(names) >= 2
        await pilot.press("down")
        assert suggest.highlighted == 1
        await pilot.press("up", "up")
        assert suggest.highlighted == len(names) - 1  # wraps
        await pilot.press("tab")
        await settle(pilot)
        assert app.prompt.text.rstrip() == f"/{names[-1]}"
        assert not suggest.display  # a space: arguments now
        assert app.focused is app.prompt
        # aliases and exact matches come first
        app.prompt.load_text("/q")
        await settle(pilot)
        assert suggest.commands[0].name == "quit"
        # no match, a path, a normal prompt: no list
        for text in ("/zzz", "/usr/bin", "hello /th"):
            app.prompt.load_text(text)
            await settle(pilot)
            assert not suggest.display, text
        # Tab on a unique match without the list having been shown
        app.prompt.load_text("/cop")
        await settle(pilot)
        await pilot.press("tab")
        await settle(pilot)
        assert app.prompt.text == "/copy "


async def test_clicking_a_suggestion_fills_the_prompt(standin, make_app):
    app = make_app(standin.url)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.prompt.load_text("/he")
        await settle(pilot)
        assert app.suggestions.display
        await pilot.click(app.suggestions, offset=(3, 0))
        await settle(pilot)
        assert app.prompt.text == "/help"
        assert app.focused is app.prompt


async def test_up_down_recall_earlier_prompts(standin, make_app):
    app = make_app(standin.url)
    async with app.run_test(size=(100, 30)) as pilot:
        for text in ("first", "second"):
            app.prompt.load_text(text)
            await pilot.press("enter")
            await wait_for(lambda: not app.session.running and app.conversation.messages[-1].status == "complete", pilot)
        assert app.prompt.text == ""
        await pilot.press("up")
        assert app.prompt.text == "second"
        await pilot.press("up")
        assert app.prompt.text == "first"
        await pilot.press("up")
        assert app.prompt.text == "first"  # the oldest stays
        await pilot.press("down")
        assert app.prompt.text == "second"
        await pilot.press("down")
        assert app.prompt.text == ""
        app.prompt.load_text("draft")
        await pilot.press("up")
        assert app.prompt.text == "draft"  # a draft is never replaced


# -- layout, colour, mouse --------------------------------------------------------------------

async def test_80x24_nothing_overlaps(standin, make_app):
    app = make_app(standin.url)
    async with app.run_test(size=(80, 24)) as pilot:
        app.prompt.load_text("hello")
        await pilot.press("enter")
        await wait_for(lambda: not app.session.running and len(app.conversation.messages) == 2, pilot)
        for draft in ("", "/c"):  # also with the suggestion list open
            app.prompt.load_text(draft)
            await pilot.pause(0.2)
            parts = [w for w in app.screen.children if w.display and w.region.height]
            names = {w.id or type(w).__name__ for w in parts}
            assert {"status", "chat", "prompt", "Footer"} <= names
            if draft:
                assert "suggest" in names
            screen = app.screen.region
            for widget in parts:
                region = widget.region
                assert region.height >= 1 and screen.contains_region(region), widget
            for i, a in enumerate(parts):
                for b in parts[i + 1:]:
                    assert not a.region.overlaps(b.region), (a, b)
            assert app.chat.region.height >= 5
            assert app.prompt.region.height >= 3
            assert app.screen.query_one(Footer).region.y == 23
        # every key the footer shows fits in 80 columns (the footer scrolls instead of wrapping)
        app.prompt.load_text("")
        await pilot.pause(0.1)
        footer = app.screen.query_one(Footer)
        shown = list(footer.query(FooterKey))
        assert {k.description for k in shown} >= {b.description for b in NemoApp.BINDINGS if b.show}
        for i, key in enumerate(shown):  # (the palette key is docked right, over the others)
            assert 0 < key.region.width and key.region.right <= 80, key.description
            for other in shown[i + 1:]:
                assert not key.region.overlaps(other.region), (key.description, other.description)


async def test_no_color_starts_and_marks_problems_in_text(standin, make_app, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(standin.url, theme="nope")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.no_color
        await app.run_command_text("/copy")
        await settle(pilot)
        assert notes(app, "warning", "theme")[0].startswith("⚠ Unknown theme")
        errors = [n for n in app._notifications if n.severity == "error"]
        assert errors and errors[0].title == "✕ Error"
        svg = app.export_screenshot()
        assert "Unknown" in svg


def test_cli_runs_with_mouse_off_when_configured(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text("mouse = false\n")
    seen = {}

    def fake_run(self, **kwargs):
        seen.update(kwargs)

    monkeypatch.setattr(NemoApp, "run", fake_run)
    monkeypatch.setenv("NEMO_TUI_DATA_DIR", str(tmp_path / "data"))
    assert cli_main(["--config", str(config)]) == 0
    assert seen == {"mouse": False}
    config.write_text("")
    assert cli_main(["--config", str(config)]) == 0
    assert seen == {"mouse": True}
