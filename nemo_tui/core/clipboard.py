"""Copying text: terminal OSC 52 always, the system clipboard when it is local.

Over SSH the system clipboard (pyperclip) is the *remote* machine's, which is useless
or absent, so only OSC 52 is used: the terminal forwards it to the user's local
clipboard if it allows that. Locally both are tried and the message says which worked.

Also: ``extract_code_blocks`` for ``/copy code N``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

__all__ = ["CopyResult", "is_ssh_session", "copy_text", "extract_code_blocks"]

_SSH_VARIABLES = ("SSH_CONNECTION", "SSH_TTY", "SSH_CLIENT")

MESSAGE_BOTH = "Copied to system clipboard (and sent via terminal OSC 52)"
MESSAGE_SSH = (
    "Sent via terminal (OSC 52) — over SSH this reaches your local clipboard "
    "if your terminal allows it"
)
MESSAGE_NO_SYSTEM = "Sent via terminal (OSC 52); system clipboard unavailable: {reason}"


@dataclass(frozen=True)
class CopyResult:
    """What a copy did. ``message`` is meant to be shown to the user as is."""

    message: str
    osc52: bool  # the OSC 52 sequence was handed to the terminal
    system: bool  # the system clipboard accepted the text
    ssh: bool  # running over SSH, so the system clipboard was not tried
    error: str | None = None  # why the system clipboard failed, if it did


def is_ssh_session(env: Mapping[str, str]) -> bool:
    """True when any of SSH_CONNECTION, SSH_TTY, SSH_CLIENT is set (non-empty)."""
    return any(env.get(name) for name in _SSH_VARIABLES)


def _pyperclip_copy(text: str) -> None:
    import pyperclip  # lazy: it probes for backends on first use

    pyperclip.copy(text)


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if len(text) > 160:
        text = text[:157] + "..."
    return text or type(exc).__name__


def copy_text(
    text: str,
    osc52: Callable[[str], None],
    env: Mapping[str, str] = os.environ,
    local_copy: Callable[[str], None] | None = None,
) -> CopyResult:
    """Copy ``text``: always via ``osc52`` (pass ``App.copy_to_clipboard``), and, unless
    this is an SSH session, also to the system clipboard via pyperclip (or
    ``local_copy`` when given). Never raises because of the system clipboard."""
    osc52(text)
    if is_ssh_session(env):
        return CopyResult(MESSAGE_SSH, osc52=True, system=False, ssh=True)
    copier = local_copy if local_copy is not None else _pyperclip_copy
    try:
        copier(text)
    except Exception as exc:  # pyperclip.PyperclipException, ImportError, OSError...
        reason = _describe(exc)
        return CopyResult(
            MESSAGE_NO_SYSTEM.format(reason=reason),
            osc52=True,
            system=False,
            ssh=False,
            error=reason,
        )
    return CopyResult(MESSAGE_BOTH, osc52=True, system=True, ssh=False)


# -- code blocks ------------------------------------------------------------------------

# CommonMark fences: up to 3 spaces of indent, then 3+ backticks or 3+ tildes. A
# backtick fence's info string may not contain backticks.
_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_CLOSE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})[ \t]*$")


def extract_code_blocks(markdown: str) -> list[str]:
    """The contents of fenced code blocks in ``markdown``, in order.

    A block opens with ``` or ~~~ (3 or more, optional language) and closes only with a
    fence of the same character at least as long, so a longer fence can wrap shorter
    ones. An unclosed block runs to the end of the text (as in CommonMark, and as a
    still-streaming reply looks). Contents exclude the fence lines and keep inner
    indentation, minus the opening fence's indent (up to 3 spaces)."""
    blocks: list[str] = []
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        match = _OPEN.match(lines[index])
        index += 1
        if match is None:
            continue
        fence = match.group("fence")
        if fence[0] == "`" and "`" in match.group("info"):
            continue  # not a fence: inline code like ```a``` on one line
        indent = len(match.group("indent"))
        body: list[str] = []
        while index < len(lines):
            line = lines[index]
            index += 1
            close = _CLOSE.match(line)
            if (
                close
                and close.group("fence")[0] == fence[0]
                and len(close.group("fence")) >= len(fence)
            ):
                break
            body.append(_dedent(line, indent))
        blocks.append("\n".join(body))
    return blocks


def _dedent(line: str, indent: int) -> str:
    removable = len(line) - len(line.lstrip(" "))
    return line[min(indent, removable) :]
