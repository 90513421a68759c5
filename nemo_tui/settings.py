"""Settings: defaults < config file (TOML) < environment < command line.

Stdlib and platformdirs only (no Textual, no ollama), so the CLI can load settings
before deciding what else to import. Loading never raises: every problem becomes a
warning naming where it came from, and the bad value falls back to the layer below.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import tomllib
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

__all__ = [
    "Settings",
    "parse_host",
    "parse_num_ctx",
    "default_config_path",
    "default_data_dir",
    "load_settings",
    "settings_to_toml",
    "env_var_name",
]

APP_NAME = "nemo-tui"
ENV_PREFIX = "NEMO_TUI_"
DEFAULT_HOST = "http://127.0.0.1:11434"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def parse_host(value: str | None) -> str:
    """Normalise an Ollama host the way the ollama client reads OLLAMA_HOST.

    "" -> http://127.0.0.1:11434, ":8080" -> http://127.0.0.1:8080, "box" ->
    http://box:11434, "box:8080" -> http://box:8080, "https://box" -> https://box:443,
    a path is kept and trailing slashes are dropped, IPv6 needs [brackets]."""
    value = (value or "").strip()
    port = 11434
    scheme, _, hostport = value.partition("://")
    if not hostport:
        scheme, hostport = "http", value
    elif scheme == "http":
        port = 80
    elif scheme == "https":
        port = 443
    split = urllib.parse.urlsplit(f"{scheme}://{hostport}")
    host = split.hostname or "127.0.0.1"
    port = split.port or port  # raises ValueError for a non-numeric/out-of-range port
    try:
        if isinstance(ipaddress.ip_address(host), ipaddress.IPv6Address):
            host = f"[{host}]"
    except ValueError:
        pass
    if path := split.path.strip("/"):
        return f"{scheme}://{host}:{port}/{path}"
    return f"{scheme}://{host}:{port}"


def parse_num_ctx(value: str | int) -> int:
    """32768, "32768", "32k" / "32K" (x1024) -> int; raises ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        number = value
    else:
        match = re.fullmatch(r"\s*(\d+)\s*([kK])?\s*", str(value))
        if not match:
            raise ValueError(value)
        number = int(match.group(1)) * (1024 if match.group(2) else 1)
    if number <= 0:
        raise ValueError(value)
    return number


def _meta(kind: str, help: str, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "help": help, **extra}


@dataclass
class Settings:
    host: str = field(default=DEFAULT_HOST, metadata=_meta("host", "Ollama server URL"))
    model: str = field(default="mistral-nemo", metadata=_meta("name", "model to chat with"))
    fallback_model: str = field(
        default="mistral:7b", metadata=_meta("name", "smaller model for short prompts")
    )
    auto_route: bool = field(
        default=True, metadata=_meta("bool", "send short prompts to fallback_model")
    )
    short_prompt_tokens: int = field(
        default=64, metadata=_meta("int", "a prompt this short (tokens) counts as short", min=0)
    )
    num_ctx: int | None = field(
        default=None, metadata=_meta("num_ctx", "context window, e.g. 32768 or \"32k\"")
    )
    reply_reserve: int = field(
        default=1024, metadata=_meta("int", "tokens kept free for the reply", min=0)
    )
    language: str = field(default="auto", metadata=_meta("name", "UI/reply language"))
    theme: str = field(default="nemo-dark", metadata=_meta("name", "theme name"))
    data_dir: Path = field(
        default_factory=default_data_dir, metadata=_meta("path", "where chats are stored")
    )
    config_path: Path = field(
        default_factory=default_config_path,
        metadata=_meta("path", "the config file read", config_file=False),
    )
    request_timeout: float = field(
        default=300.0,
        metadata=_meta("float", "seconds without a token before giving up", min_exclusive=0),
    )
    system_prompt: str = field(default="", metadata=_meta("str", "system prompt"))
    keymap: dict[str, str] = field(
        default_factory=dict, metadata=_meta("keymap", "binding id -> keys")
    )
    temperature: float | None = field(
        default=None, metadata=_meta("float?", "sampling temperature", min=0)
    )
    top_p: float | None = field(
        default=None, metadata=_meta("float?", "nucleus sampling", min=0, max=1)
    )
    seed: int | None = field(default=None, metadata=_meta("int?", "random seed"))
    num_predict: int | None = field(
        default=None, metadata=_meta("int?", "max reply tokens (-1: no limit)", min=-2)
    )
    mouse: bool = field(default=True, metadata=_meta("bool", "enable mouse support"))
    attach_max_mb: float = field(
        default=20.0, metadata=_meta("float", "most MB one /attach reads", min_exclusive=0)
    )
    attach_max_files: int = field(
        default=2000, metadata=_meta("int", "most files one /attach reads", min=1)
    )


_FIELDS = {f.name: f for f in fields(Settings)}
_CONFIG_KEYS = [name for name, f in _FIELDS.items() if f.metadata.get("config_file", True)]
_SCALAR_FIELDS = [name for name, f in _FIELDS.items() if f.metadata["kind"] != "keymap"]
_NONE_WORDS = {"none", "auto", "default"}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_var_name(name: str) -> str:
    """The environment variable for a field: NEMO_TUI_<FIELD>."""
    return ENV_PREFIX + name.upper()


class _Bad(ValueError):
    """A value could not be converted; the message says what was expected."""


def _convert(name: str, value: Any) -> Any:
    """Convert a value from TOML, the environment (str) or argparse to the field's type."""
    meta = _FIELDS[name].metadata
    kind = meta["kind"]
    optional = kind.endswith("?") or kind == "num_ctx"
    base = kind.rstrip("?")
    if optional and isinstance(value, str) and value.strip().lower() in _NONE_WORDS:
        return None

    if base == "num_ctx":
        try:
            return parse_num_ctx(value)
        except (ValueError, TypeError):
            raise _Bad(f"expected an integer like 32768 or '32k', got {value!r}") from None
    if base == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise _Bad(f"expected true or false, got {value!r}")
    if base in ("int", "float"):
        number: int | float
        if isinstance(value, bool):
            raise _Bad(f"expected {'an integer' if base == 'int' else 'a number'}, got {value!r}")
        try:
            if base == "int":
                if isinstance(value, float) and not value.is_integer():
                    raise ValueError
                number = int(value) if not isinstance(value, str) else int(value.strip())
            else:
                number = float(value) if not isinstance(value, str) else float(value.strip())
                if number != number:  # NaN
                    raise ValueError
        except (ValueError, TypeError):
            noun = "an integer" if base == "int" else "a number"
            raise _Bad(f"expected {noun}, got {value!r}") from None
        if "min" in meta and number < meta["min"]:
            raise _Bad(f"must be at least {meta['min']}, got {value!r}")
        if "max" in meta and number > meta["max"]:
            raise _Bad(f"must be at most {meta['max']}, got {value!r}")
        if "min_exclusive" in meta and number <= meta["min_exclusive"]:
            raise _Bad(f"must be greater than {meta['min_exclusive']}, got {value!r}")
        return number
    if base == "path":
        if isinstance(value, Path):
            return value.expanduser()
        if isinstance(value, str) and value.strip():
            return Path(value.strip()).expanduser()
        raise _Bad(f"expected a path string, got {value!r}")
    if base == "host":
        if not isinstance(value, str):
            raise _Bad(f"expected a host like 'localhost:11434', got {value!r}")
        try:
            return parse_host(value)
        except ValueError:
            raise _Bad(f"expected a host like 'localhost:11434', got {value!r}") from None
    if base == "keymap":
        if not isinstance(value, Mapping):
            raise _Bad("expected a table of binding id = \"keys\", e.g. [keymap] send = \"ctrl+j\"")
        for key, keys in value.items():
            if not isinstance(keys, str) or not keys.strip():
                raise _Bad(f"binding '{key}': expected keys like \"ctrl+j\", got {keys!r}")
        return {str(key): keys.strip() for key, keys in value.items()}
    # "str" / "name"
    if not isinstance(value, str):
        raise _Bad(f"expected a string, got {value!r}")
    if base == "name" and not value.strip():
        raise _Bad("must not be empty")
    return value.strip() if base == "name" else value


def _suggestion(key: str) -> str:
    close = difflib.get_close_matches(key, _CONFIG_KEYS, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _read_config(path: Path, warnings: list[str]) -> dict[str, Any]:
    """Valid, converted values from the config file; problems go to ``warnings``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        warnings.append(f"{path}: cannot read config file ({exc}); using defaults")
        return {}
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        where = f"line {match.group(1)}: " if match else ""
        reason = message[: match.start()].strip() if match else message
        warnings.append(f"{path}: {where}invalid TOML: {reason}; ignoring the whole file")
        return {}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in _FIELDS:
            warnings.append(f"{path}: unknown key '{key}'{_suggestion(key)}; ignored")
            continue
        if key not in _CONFIG_KEYS:
            warnings.append(
                f"{path}: key '{key}' cannot be set in the config file; "
                f"use --config or {env_var_name('config')}"
            )
            continue
        try:
            values[key] = _convert(key, value)
        except _Bad as exc:
            warnings.append(f"{path}: key '{key}': {exc}; using the default")
    return values


def _read_env(env: Mapping[str, str], warnings: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    sources: list[tuple[str, str]] = [("host", "OLLAMA_HOST")]  # generic names win
    sources += [(name, env_var_name(name)) for name in _SCALAR_FIELDS]
    sources.append(("config_path", env_var_name("config")))
    for name, var in sources:
        raw = env.get(var)
        if raw is None or raw == "":
            continue
        try:
            values[name] = _convert(name, raw)
        except _Bad as exc:
            warnings.append(f"environment {var}: {exc}; ignored")
    return values


def _read_argv(argv: Mapping[str, Any], warnings: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, raw in argv.items():
        name = "config_path" if name == "config" else name
        if raw is None:
            continue
        if name not in _FIELDS:
            warnings.append(f"command line: unknown setting '{name}'; ignored")
            continue
        try:
            values[name] = _convert(name, raw)
        except _Bad as exc:
            warnings.append(f"command line --{name.replace('_', '-')}: {exc}; ignored")
    return values


def load_settings(
    argv_overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_file: Path | str | None = None,
) -> tuple[Settings, list[str]]:
    """Merge defaults < config file < environment < command line; never raises.

    ``argv_overrides`` maps field names to values (strings are converted; ``None`` means
    "not given"). The config file read is ``config_file`` if given, else the command
    line's / environment's config path (NEMO_TUI_CONFIG), else the default location;
    a missing file is fine. ``settings.config_path`` records the file used."""
    warnings: list[str] = []
    from_argv = _read_argv(argv_overrides or {}, warnings)
    from_env = _read_env({} if env is None else env, warnings)

    if config_file is not None and str(config_file) != "":
        path = Path(config_file).expanduser()
    else:
        path = from_argv.get("config_path") or from_env.get("config_path") or default_config_path()
    from_config = _read_config(path, warnings)

    merged: dict[str, Any] = {**from_config, **from_env, **from_argv}
    merged["config_path"] = path
    return Settings(**merged), warnings


# -- printing ---------------------------------------------------------------------------

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_string(text: str) -> str:
    out = []
    for char in text:
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif char in "\n\t\r\b\f":
            out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r", "\b": "\\b", "\f": "\\f"}[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return _toml_string(str(value))


def settings_to_toml(settings: Settings) -> str:
    """The settings as a config file (for --print-config). Unset optional values are
    shown commented out; the output loads back to the same settings."""
    lines = [f"# nemo-tui settings (config file: {settings.config_path})"]
    for name in _CONFIG_KEYS:
        meta = _FIELDS[name].metadata
        if meta["kind"] == "keymap":
            continue
        value = getattr(settings, name)
        if value is None:
            lines.append(f"# {name}: unset (the model's default) -- {meta['help']}")
        else:
            lines.append(f"{name} = {_toml_value(value)}  # {meta['help']}")
    lines += ["", "[keymap]  # binding id = \"keys\""]
    for key, keys in sorted(settings.keymap.items()):
        shown = key if _BARE_KEY.match(key) else _toml_string(key)
        lines.append(f"{shown} = {_toml_string(keys)}")
    return "\n".join(lines) + "\n"
