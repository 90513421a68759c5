"""Make untrusted text (model output, file contents) safe to put on screen.

Textual's Markdown does not interpret Rich markup, but control characters would still reach
the terminal: ESC ]52 could write the clipboard, ESC [2J clear the screen. Every C0/C1
control except newline and tab becomes its visible Unicode "control picture".
"""

from __future__ import annotations

import re

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # ␛ for ESC, ␀ for NUL …
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"\\x{code:02x}"  # C1 controls have no picture


def safe_display(text: str) -> str:
    """Replace terminal control characters with harmless visible ones."""
    text = text.replace("\r\n", "\n")
    return _CONTROL.sub(_picture, text)
