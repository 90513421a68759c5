"""Saving one setting into the user's config file without disturbing the rest of it.

The file is edited as text: the top-level ``key = ...`` line is replaced when present,
else the line is added after the last top-level key (before any ``[table]``, so it stays
a top-level key). Every
other line -- comments, order, tables -- is kept byte for byte. The result is parsed
again before it is written: if anything but that one key would change, nothing is written.
A missing file (and its directory) is created. A broken file is never written to.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from pathlib import Path

from nemo_tui.settings import _toml_string

__all__ = ["ConfigEditError", "set_config_string"]

_TABLE = re.compile(r"^\s*\[")
# `= "string"  # comment` or `= 'string' # comment`: the comment is kept when replacing.
_TRAILING_COMMENT = re.compile(r"""=\s*(?:"(?:[^"\\]|\\.)*"|'[^']*')(\s*#.*)$""")


class ConfigEditError(Exception):
    """The setting could not be saved; the message says why (and names the file)."""


def _key_line(key: str) -> re.Pattern[str]:
    quoted = re.escape(key)
    return re.compile(rf"""^\s*(?:{quoted}|"{quoted}"|'{quoted}')\s*=""")


def _edited(text: str, key: str, value: str) -> str:
    newline = "\r\n" if "\r\n" in text else "\n"
    line = f"{key} = {_toml_string(value)}"
    lines = text.splitlines(keepends=True)
    pattern = _key_line(key)
    first_table = None
    for index, current in enumerate(lines):
        if _TABLE.match(current):
            first_table = index
            break
        if pattern.match(current):
            body = current.rstrip("\r\n")
            comment = _TRAILING_COMMENT.search(body)
            lines[index] = line + (comment.group(1) if comment else "") + current[len(body):]
            return "".join(lines)
    if first_table is None:
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += newline
        lines.append(line + newline)
    else:
        # After the last top-level key, so a comment introducing the table stays with it.
        at = first_table
        while at > 0 and (not lines[at - 1].strip() or lines[at - 1].lstrip().startswith("#")):
            at -= 1
        if at == 0:
            lines.insert(0, line + newline + newline)
        else:
            lines.insert(at, line + newline)
    return "".join(lines)


def set_config_string(path: Path | str, key: str, value: str) -> None:
    """Set the top-level string ``key`` to ``value`` in the TOML file at ``path``.

    Raises ConfigEditError (nothing written) when the file cannot be read, is not valid
    TOML, cannot be edited safely, or cannot be written."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigEditError(f"cannot read {path}: {exc}") from None
    try:
        before = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigEditError(f"{path} is not valid TOML ({exc}); fix it first") from None

    new_text = _edited(text, key, value)
    try:
        after = tomllib.loads(new_text)
    except tomllib.TOMLDecodeError:
        after = None
    if after != {**before, key: value}:
        raise ConfigEditError(
            f"cannot safely edit '{key}' in {path} (it is set in an unusual way); "
            f"set {key} = {_toml_string(value)} there by hand"
        )

    path = Path(os.path.realpath(path))  # write through a symlinked config, not over it
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(new_text.encode("utf-8"))
            if path.exists():
                os.chmod(temp, path.stat().st_mode & 0o7777)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ConfigEditError(f"cannot write {path}: {exc}") from None
