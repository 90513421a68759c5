"""Theme files: TOML descriptions of Textual themes, with the context gauge's colours.

A theme file looks like this (every colour is anything ``textual.color.Color.parse``
accepts: ``#rrggbb``, ``#rgb``, ``#rrggbbaa``, ``rgb(...)``, ``hsl(...)``, a named colour)::

    name = "my-theme"            # how the theme is selected: /theme my-theme, --theme
    dark = true                  # dark or light base (affects generated shades)
    primary = "#76b900"          # required: primary, secondary, accent, foreground,
    secondary = "#2e9e8f"        #   background, surface, panel, warning, error, success
    ...
    boost = "#ffffff0a"          # optional

    [gauge]                      # optional; each key defaults from the colours above
    system = "#8f7ce0"           # segment: the system prompt
    history = "#76b900"          # segment: earlier messages
    attachments = "#3fb6d8"      # segment: attached files
    draft = "#e0c25a"            # segment: the message being typed
    reserve = "#5e6e62"          # segment: room kept back for the reply
    ok = "#76b900"               # usage label colour: comfortable ...
    warn = "#f2b632"             # ... getting full
    high = "#f28c28"             # ... nearly full
    over = "#f0524f"             # ... over the context window

    [syntax]                     # optional; overrides for code-fence highlighting
    text-accent = "#9be22d"

Gauge colours become Textual theme variables named ``gauge-<key>`` (``$gauge-system``,
``$gauge-ok``, ...) for use in TCSS.

Syntax highlighting: Textual 8 highlights Markdown code fences with
``textual.highlight.HighlightTheme``, whose token styles refer only to theme variables.
A ``[syntax]`` table sets those variables directly (they are Textual-wide, so e.g.
``text-primary`` also colours other primary-coloured text). Keys and what they colour:

    text            plain code text; comments use it at 60% opacity
    text-primary    names, decorators, tags, headings
    text-secondary  variables
    text-accent     keywords, builtins
    text-success    strings, keyword constants (True/None)
    text-warning    numbers, functions, classes, attributes
    text-error      namespace keywords (import/from), constants, word operators, errors
    error-muted     background behind error tokens

Without a ``[syntax]`` table Textual derives these from the theme's main colours.
(When the app runs with native ANSI colours, Textual uses its fixed ANSI highlight
themes instead and these variables do not apply.)
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

__all__ = [
    "ThemeError",
    "REQUIRED_COLOURS",
    "OPTIONAL_COLOURS",
    "GAUGE_KEYS",
    "SYNTAX_KEYS",
    "load_theme_file",
    "theme_from_mapping",
    "discover_themes",
    "bundled_themes_dir",
    "gauge_variable_defaults",
]

REQUIRED_COLOURS: tuple[str, ...] = (
    "primary",
    "secondary",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "warning",
    "error",
    "success",
)
OPTIONAL_COLOURS: tuple[str, ...] = ("boost",)
GAUGE_KEYS: tuple[str, ...] = (
    "system",
    "history",
    "attachments",
    "draft",
    "reserve",
    "ok",
    "warn",
    "high",
    "over",
)
SYNTAX_KEYS: tuple[str, ...] = (
    "text",
    "text-primary",
    "text-secondary",
    "text-accent",
    "text-success",
    "text-warning",
    "text-error",
    "error-muted",
)
_TOP_LEVEL_KEYS: tuple[str, ...] = (
    ("name", "dark") + REQUIRED_COLOURS + OPTIONAL_COLOURS + ("gauge", "syntax")
)
_TABLES: dict[str, tuple[str, ...]] = {"gauge": GAUGE_KEYS, "syntax": SYNTAX_KEYS}

# Used for [gauge] keys a theme leaves out: (theme colour to take, or a blend of two).
_GAUGE_FALLBACK: dict[str, tuple[str, ...]] = {
    "system": ("secondary",),
    "history": ("primary",),
    "attachments": ("accent",),
    "draft": ("foreground",),
    "reserve": ("foreground", "background"),
    "ok": ("success",),
    "warn": ("warning",),
    "high": ("warning", "error"),
    "over": ("error",),
}

# Static defaults for the gauge variables, for an App's get_theme_variable_defaults(),
# so TCSS using $gauge-* still works with Textual's built-in themes.
_GAUGE_STATIC_DEFAULTS: dict[str, str] = {
    "system": "#8f7ce0",
    "history": "#4ea3d9",
    "attachments": "#3fb6a8",
    "draft": "#c8b45a",
    "reserve": "#7a7a7a",
    "ok": "#4ebf71",
    "warn": "#ffa62b",
    "high": "#f07b2f",
    "over": "#ba3c5b",
}


class ThemeError(Exception):
    """A theme file could not be loaded; the message names the file and the problem."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


def gauge_variable_defaults() -> dict[str, str]:
    """``{"gauge-system": "#…", ...}`` usable for any theme that sets no gauge colours."""
    return {f"gauge-{key}": value for key, value in _GAUGE_STATIC_DEFAULTS.items()}


def _suggest(key: str, valid: Iterable[str]) -> str:
    close = difflib.get_close_matches(key, list(valid), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _toml_problem(exc: tomllib.TOMLDecodeError) -> str:
    message = str(exc)
    match = re.search(r"\(at line (\d+), column (\d+)\)", message)
    if match:
        reason = message[: match.start()].strip()
        return f"line {match.group(1)}, column {match.group(2)}: invalid TOML: {reason}"
    return f"invalid TOML: {message}"


def _parse_colour(path: Path, label: str, value: Any) -> Color:
    if not isinstance(value, str):
        raise ThemeError(
            path, f"key '{label}': expected a colour string like \"#76b900\", got {value!r}"
        )
    try:
        return Color.parse(value)
    except ColorParseError as exc:
        hint = f"; did you mean '{exc.suggested_color}'?" if exc.suggested_color else ""
        raise ThemeError(
            path,
            f"key '{label}': {value!r} is not a colour "
            f"(use #rrggbb, rgb(...), hsl(...) or a colour name){hint}",
        ) from None


def theme_from_mapping(data: Mapping[str, Any], path: Path | str = "<theme>") -> Theme:
    """Validate parsed theme data and build a Textual ``Theme`` (errors name ``path``)."""
    path = Path(path)
    for key in data:
        if key not in _TOP_LEVEL_KEYS:
            raise ThemeError(path, f"unknown key '{key}'{_suggest(key, _TOP_LEVEL_KEYS)}")
    for table, valid in _TABLES.items():
        if table not in data:
            continue
        if not isinstance(data[table], Mapping):
            raise ThemeError(path, f"'{table}' must be a table: [{table}]")
        for key in data[table]:
            if key not in valid:
                raise ThemeError(
                    path, f"unknown key '{table}.{key}'{_suggest(key, valid)}"
                )

    missing = [key for key in ("name", "dark") + REQUIRED_COLOURS if key not in data]
    if missing:
        names = ", ".join(f"'{key}'" for key in missing)
        noun = "key" if len(missing) == 1 else "keys"
        raise ThemeError(path, f"missing required {noun} {names}")

    name = data["name"]
    if not isinstance(name, str) or not name.strip():
        raise ThemeError(path, f"key 'name': expected a non-empty string, got {name!r}")
    if not isinstance(data["dark"], bool):
        raise ThemeError(path, f"key 'dark': expected true or false, got {data['dark']!r}")

    colours: dict[str, Color] = {}
    for key in REQUIRED_COLOURS + OPTIONAL_COLOURS:
        if key in data:
            colours[key] = _parse_colour(path, key, data[key])

    variables: dict[str, str] = {}
    gauge = data.get("gauge", {})
    for key in GAUGE_KEYS:
        if key in gauge:
            colour = _parse_colour(path, f"gauge.{key}", gauge[key])
        else:
            sources = _GAUGE_FALLBACK[key]
            colour = colours[sources[0]]
            if len(sources) == 2:
                colour = colour.blend(colours[sources[1]], 0.5)
        variables[f"gauge-{key}"] = colour.hex
    for key, value in data.get("syntax", {}).items():
        variables[key] = _parse_colour(path, f"syntax.{key}", value).hex

    return Theme(
        name=name.strip(),
        dark=data["dark"],
        variables=variables,
        **{key: colour.hex for key, colour in colours.items()},
    )


def load_theme_file(path: Path | str) -> Theme:
    """Read one TOML theme file; raises ``ThemeError`` naming the file and the problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ThemeError(path, f"cannot read file: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ThemeError(path, _toml_problem(exc)) from None
    return theme_from_mapping(data, path)


def discover_themes(dirs: Iterable[Path | str]) -> tuple[list[Theme], list[str]]:
    """Load every ``*.toml`` in ``dirs``; a later dir's theme replaces an earlier one of
    the same name (pass the bundled dir first, the user's dir after). Problems are
    returned as messages, never raised; missing dirs are skipped silently."""
    themes: dict[str, Theme] = {}
    errors: list[str] = []
    for directory in dirs:
        directory = Path(directory)
        if not directory.is_dir():
            continue
        seen_here: dict[str, Path] = {}
        for file in sorted(directory.glob("*.toml")):
            try:
                theme = load_theme_file(file)
            except ThemeError as exc:
                errors.append(str(exc))
                continue
            if theme.name in seen_here:
                errors.append(
                    f"{file}: theme name '{theme.name}' is also used by "
                    f"{seen_here[theme.name].name}; this file wins"
                )
            seen_here[theme.name] = file
            themes[theme.name] = theme
    return list(themes.values()), errors


def bundled_themes_dir() -> Path:
    """The shipped themes: ``nemo_tui/themes`` in a wheel, else the repo's ``themes/``."""
    package_dir = Path(__file__).resolve().parents[1] / "themes"
    if package_dir.is_dir():
        return package_dir
    return Path(__file__).resolve().parents[2] / "themes"
