"""Theme files: the bundled themes load and apply; bad files give clear ThemeErrors."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.color import Color
from textual.widgets import Static

from nemo_tui.ui.themes import (
    GAUGE_KEYS,
    ThemeError,
    bundled_themes_dir,
    discover_themes,
    gauge_variable_defaults,
    load_theme_file,
)

BUNDLED = ["nemo-dark", "nemo-light", "nemo-contrast", "amber-crt"]

GOOD = """\
name = "test-theme"
dark = true
primary = "#76B900"
secondary = "#2E9E8F"
accent = "#9BE22D"
foreground = "#DCE5D8"
background = "#0B0F0C"
surface = "#121A14"
panel = "#1A241C"
warning = "#F2B632"
error = "#F0524F"
success = "#5FD068"

[gauge]
system = "#9F8CF0"
history = "#76B900"
attachments = "#3FB6D8"
draft = "#E0C25A"
reserve = "#66776A"
ok = "#76B900"
warn = "#F2B632"
high = "#F28C28"
over = "#F0524F"
"""


def write(directory: Path, filename: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / filename
    path.write_text(text, encoding="utf-8")
    return path


class GaugeApp(App):
    CSS = "#probe { color: $gauge-system; background: $gauge-over; }"

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return gauge_variable_defaults()

    def compose(self) -> ComposeResult:
        yield Static("probe", id="probe")


# -- bundled themes ---------------------------------------------------------------------


def test_bundled_dir_is_repo_themes_in_checkout():
    directory = bundled_themes_dir()
    assert directory.is_dir()
    assert {p.stem for p in directory.glob("*.toml")} >= set(BUNDLED)


def test_bundled_themes_load_without_errors():
    themes, errors = discover_themes([bundled_themes_dir()])
    assert errors == []
    assert [t.name for t in themes if t.name in BUNDLED] == sorted(BUNDLED)
    by_name = {t.name: t for t in themes}
    assert by_name["nemo-dark"].dark is True
    assert by_name["nemo-light"].dark is False
    for theme in themes:
        for key in GAUGE_KEYS:
            Color.parse(theme.variables[f"gauge-{key}"])


def _luminance(colour: Color) -> float:
    def channel(value: int) -> float:
        v = value / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.r) + 0.7152 * channel(colour.g) + 0.0722 * channel(colour.b)


def _contrast(a: str, b: str) -> float:
    la, lb = _luminance(Color.parse(a)), _luminance(Color.parse(b))
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_theme_contrast(name):
    theme = load_theme_file(bundled_themes_dir() / f"{name}.toml")
    for ground in (theme.background, theme.surface, theme.panel):
        assert _contrast(theme.foreground, ground) >= 7.0
    for key in ("primary", "warning", "error", "success"):
        assert _contrast(getattr(theme, key), theme.background) >= 4.5, key
    for key in GAUGE_KEYS:
        colour = theme.variables[f"gauge-{key}"]
        assert _contrast(colour, theme.background) >= 3.0, key
        assert _contrast(colour, theme.panel) >= 3.0, key
    if name == "nemo-contrast":
        assert _contrast(theme.foreground, theme.background) >= 15


@pytest.mark.parametrize("name", BUNDLED)
async def test_bundled_theme_registers_and_applies(name):
    theme = load_theme_file(bundled_themes_dir() / f"{name}.toml")
    app = GaugeApp()
    app.register_theme(theme)
    async with app.run_test() as pilot:
        app.theme = name
        await pilot.pause()
        assert app.current_theme.name == name
        variables = app.theme_variables
        assert Color.parse(variables["background"]) == Color.parse(theme.background)
        assert variables["gauge-system"] == theme.variables["gauge-system"]
        probe = app.query_one("#probe")
        assert probe.styles.color == Color.parse(theme.variables["gauge-system"])
        assert probe.styles.background == Color.parse(theme.variables["gauge-over"])
        # [syntax] entries reach the variables the code-fence highlighter reads.
        for key, value in theme.variables.items():
            if not key.startswith("gauge-"):
                assert variables[key] == value


async def test_gauge_defaults_keep_builtin_themes_working():
    app = GaugeApp()
    async with app.run_test() as pilot:
        app.theme = "textual-dark"
        await pilot.pause()
        probe = app.query_one("#probe")
        assert probe.styles.color == Color.parse(gauge_variable_defaults()["gauge-system"])


# -- loading one file -------------------------------------------------------------------


def test_good_file_loads(tmp_path):
    theme = load_theme_file(write(tmp_path, "t.toml", GOOD))
    assert theme.name == "test-theme"
    assert theme.primary == "#76B900"
    assert theme.boost is None
    assert theme.variables["gauge-warn"] == "#F2B632"


def test_syntax_table_and_boost(tmp_path):
    text = GOOD.replace('dark = true', 'dark = true\nboost = "#ffffff0a"')
    text += '\n[syntax]\ntext-accent = "#ff00ff"\ntext = "white"\n'
    theme = load_theme_file(write(tmp_path, "t.toml", text))
    assert theme.boost == "#FFFFFF0A"
    assert theme.variables["text-accent"] == "#FF00FF"
    assert theme.variables["text"] == "#FFFFFF"


def test_missing_gauge_colours_are_derived(tmp_path):
    text = GOOD.split("[gauge]")[0]
    theme = load_theme_file(write(tmp_path, "t.toml", text))
    assert theme.variables["gauge-ok"] == "#5FD068"  # success
    assert theme.variables["gauge-over"] == "#F0524F"  # error
    assert set(theme.variables) == {f"gauge-{key}" for key in GAUGE_KEYS}


def test_bad_toml_names_file_and_line(tmp_path):
    path = write(tmp_path, "broken.toml", GOOD.replace('panel = "#1A241C"', "panel = #1A241C"))
    with pytest.raises(ThemeError) as info:
        load_theme_file(path)
    message = str(info.value)
    assert "broken.toml" in message
    assert "line 9" in message
    assert "invalid TOML" in message


def test_unknown_key_suggests_closest(tmp_path):
    path = write(tmp_path, "typo.toml", GOOD.replace("secondary =", "secondery ="))
    with pytest.raises(ThemeError) as info:
        load_theme_file(path)
    message = str(info.value)
    assert "typo.toml" in message
    assert "unknown key 'secondery'" in message
    assert "did you mean 'secondary'" in message


def test_unknown_gauge_key_suggests_closest(tmp_path):
    path = write(tmp_path, "typo.toml", GOOD.replace("attachments =", "attachment ="))
    with pytest.raises(ThemeError, match=r"unknown key 'gauge.attachment'.*'attachments'"):
        load_theme_file(path)


def test_unknown_syntax_key(tmp_path):
    path = write(tmp_path, "typo.toml", GOOD + '\n[syntax]\ntext-acent = "#fff"\n')
    with pytest.raises(ThemeError, match=r"'syntax.text-acent'.*'text-accent'"):
        load_theme_file(path)


def test_bad_colour_names_key_and_value(tmp_path):
    path = write(tmp_path, "colour.toml", GOOD.replace('error = "#F0524F"', 'error = "#F0524"'))
    with pytest.raises(ThemeError) as info:
        load_theme_file(path)
    message = str(info.value)
    assert "colour.toml" in message
    assert "key 'error'" in message
    assert "'#F0524'" in message


def test_bad_gauge_colour_with_suggestion(tmp_path):
    path = write(tmp_path, "g.toml", GOOD.replace('ok = "#76B900"', 'ok = "gren"'))
    with pytest.raises(ThemeError, match=r"key 'gauge.ok': 'gren' is not a colour.*'green'"):
        load_theme_file(path)


def test_colour_of_wrong_type(tmp_path):
    path = write(tmp_path, "t.toml", GOOD.replace('panel = "#1A241C"', "panel = 12"))
    with pytest.raises(ThemeError, match=r"t.toml: key 'panel': expected a colour string"):
        load_theme_file(path)


def test_missing_required_key(tmp_path):
    path = write(tmp_path, "missing.toml", GOOD.replace('surface = "#121A14"\n', ""))
    with pytest.raises(ThemeError) as info:
        load_theme_file(path)
    assert str(info.value).startswith(str(path))
    assert "missing required key 'surface'" in str(info.value)


def test_bad_dark_and_name(tmp_path):
    with pytest.raises(ThemeError, match="key 'dark': expected true or false"):
        load_theme_file(write(tmp_path, "a.toml", GOOD.replace("dark = true", 'dark = "yes"')))
    with pytest.raises(ThemeError, match="key 'name'"):
        load_theme_file(write(tmp_path, "b.toml", GOOD.replace('"test-theme"', '""')))


# -- discovery --------------------------------------------------------------------------


def test_discover_collects_errors_and_keeps_good(tmp_path):
    directory = tmp_path / "themes"
    write(directory, "good.toml", GOOD)
    write(directory, "bad.toml", "name = [")
    write(directory, "worse.toml", GOOD.replace("panel", "pannel").replace("test-theme", "x"))
    write(directory, "notes.txt", "not a theme")
    themes, errors = discover_themes([directory, tmp_path / "does-not-exist"])
    assert [t.name for t in themes] == ["test-theme"]
    assert len(errors) == 2
    assert any("bad.toml" in e and "invalid TOML" in e for e in errors)
    assert any("worse.toml" in e and "'pannel'" in e for e in errors)


def test_user_dir_overrides_bundled_by_name(tmp_path):
    user = tmp_path / "user"
    # A different file name but the same theme name still overrides.
    write(user, "my-dark.toml", GOOD.replace('"test-theme"', '"nemo-dark"').replace(
        'primary = "#76B900"', 'primary = "#FF0000"'
    ))
    write(user, "extra.toml", GOOD)
    themes, errors = discover_themes([bundled_themes_dir(), user])
    assert errors == []
    by_name = {t.name: t for t in themes}
    assert by_name["nemo-dark"].primary == "#FF0000"
    assert "test-theme" in by_name
    assert set(BUNDLED) <= set(by_name)
    assert len(themes) == len(by_name)


def test_duplicate_name_in_one_dir_is_reported(tmp_path):
    write(tmp_path, "a.toml", GOOD)
    write(tmp_path, "b.toml", GOOD.replace('"#76B900"', '"#00FF00"', 1))
    themes, errors = discover_themes([tmp_path])
    assert len(themes) == 1 and themes[0].primary == "#00FF00"
    assert len(errors) == 1 and "a.toml" in errors[0] and "test-theme" in errors[0]


def test_syntax_keys_cover_the_highlighter_variables():
    """If Textual's code highlighter starts using other variables, SYNTAX_KEYS must follow."""
    import re

    from textual.highlight import HighlightTheme

    from nemo_tui.ui.themes import SYNTAX_KEYS

    used = {
        name
        for style in HighlightTheme.STYLES.values()
        for name in re.findall(r"\$([a-z][a-z0-9-]*)", style)
    }
    assert used == set(SYNTAX_KEYS)
