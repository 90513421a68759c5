"""Make untrusted text (model output, file contents) safe to put on screen.

Textual's Markdown does not interpret Rich markup, but control characters would still reach
the terminal: ESC ]52 could write the clipboard, ESC [2J clear the screen. Every C0/C1
control except newline and tab becomes its visible Unicode "control picture".
"""

from __future__ import annotations

# Each control becomes its picture (␛ for ESC, ␀ for NUL …); C1 controls have none: \x9b.
_SAFE_TABLE: dict[int, str] = {c: chr(0x2400 + c) for c in range(0x20) if c not in (9, 10)}
_SAFE_TABLE[0x7F] = "\u2421"  # ␡
_SAFE_TABLE.update({c: f"\\x{c:02x}" for c in range(0x80, 0xA0)})


def safe_display(text: str) -> str:
    """Replace terminal control characters with harmless visible ones."""
    return text.replace("\r\n", "\n").translate(_SAFE_TABLE)
