"""`nemo-tui export ID [--format md|json] [-o PATH]`: a saved chat to stdout or a file.

`nemo-tui export --list` shows the saved chats with their ids. The history is found the way
the app finds it (--data-dir, NEMO_TUI_DATA_DIR, the config file); a missing database is
reported, not created. On a terminal, control characters in the chat are shown as visible
symbols; piped or written to a file, the text is exact.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from nemo_tui.core.export import ExportError, parse_format, render, target_path, write_text
from nemo_tui.core.sanitize import safe_display
from nemo_tui.core.store import ChatNotFoundError, HistoryStore, StoreError
from nemo_tui.settings import load_settings

HISTORY_FILE = "history.db"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="nemo-tui export",
        description="Print a saved chat as Markdown (default) or JSON, or write it to a file.",
    )
    p.add_argument("chat_id", nargs="?", type=int, metavar="ID",
                   help="the chat's id (see `nemo-tui export --list` or Ctrl+L in the app)")
    p.add_argument("--format", "-f", default="md", help="md (default) or json")
    p.add_argument("-o", "--output", metavar="PATH",
                   help="write to PATH (a folder gets <title>-<id>.<format>) instead of stdout")
    p.add_argument("--list", action="store_true", help="list saved chats with their ids")
    p.add_argument("--data-dir", dest="data_dir", help="where chat history is kept")
    p.add_argument("--config", help="config file to read instead of the default one")
    return p


def _error(text: str) -> int:
    print(f"nemo-tui export: {text}", file=sys.stderr)
    return 1


def main(args: list[str]) -> int:
    p = parser()
    ns = p.parse_args(args)
    if ns.chat_id is None and not ns.list:
        p.print_usage(sys.stderr)
        return _error("give the ID of a chat to export, or --list to see them")
    try:
        fmt = parse_format(ns.format)
    except ExportError as exc:
        return _error(str(exc))

    overrides = {"data_dir": ns.data_dir} if ns.data_dir else {}
    config = ns.config or os.environ.get("NEMO_TUI_CONFIG") or None
    settings, warnings = load_settings(overrides, os.environ, config)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    db = Path(settings.data_dir).expanduser() / HISTORY_FILE
    if not db.exists():
        return _error(f"no chat history at {db} yet")

    try:
        with HistoryStore.open(db) as store:
            if ns.list:
                return _list(store)
            conv = store.load_chat(ns.chat_id)
    except ChatNotFoundError:
        return _error(f"there is no chat with id {ns.chat_id} in {db}"
                      " (`nemo-tui export --list` shows the ids)")
    except StoreError as exc:
        return _error(str(exc))

    text = render(conv, fmt)
    if not ns.output:
        sys.stdout.write(safe_display(text) if sys.stdout.isatty() else text)
        sys.stdout.flush()
        return 0
    try:
        target = target_path(conv, fmt, ns.output, Path.cwd())
        write_text(target, text)
    except ExportError as exc:
        return _error(str(exc))
    print(f"Wrote chat {conv.id} ({len(conv.messages)} messages) to {target}", file=sys.stderr)
    return 0


def _list(store: HistoryStore) -> int:
    chats = store.list_chats(limit=10_000)
    if not chats:
        print("No saved chats yet.", file=sys.stderr)
        return 0
    width = max(len(str(c.id)) for c in chats)
    for c in chats:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(c.updated_at))
        title = safe_display(" ".join((c.title or "Untitled chat").split()))
        print(f"{c.id:>{width}}  {when}  {c.message_count:>5} msgs  {c.model:<20}  {title}")
    return 0
