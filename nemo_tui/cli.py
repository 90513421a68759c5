"""Command line: parse arguments, build Settings, run the app or a subcommand.

Imports stay light: Textual is imported only when the app runs, ollama and mistral_common
only when something needs them.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from nemo_tui import __version__

SUBCOMMANDS = ("tokens", "export")


def app_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="nemo-tui",
        description="A terminal chat app for Ollama built around Mistral Nemo, with an exact "
        "Tekken context gauge. Subcommands: `nemo-tui tokens FILE...`, `nemo-tui export ID`.",
    )
    p.add_argument("--version", action="version", version=f"nemo-tui {__version__}")
    p.add_argument("--host", help="Ollama server URL (default: OLLAMA_HOST, else http://127.0.0.1:11434)")
    p.add_argument("--model", help="model to chat with (default: mistral-nemo)")
    p.add_argument("--num-ctx", dest="num_ctx", help="context window to request, e.g. 32768 or 32k")
    p.add_argument("--theme", help="theme name")
    p.add_argument("--data-dir", dest="data_dir", help="where chat history is kept")
    p.add_argument("--config", help="config file to read instead of the default one")
    p.add_argument("--config-path", action="store_true", help="print the config file's path and exit")
    p.add_argument("--print-config", action="store_true", help="print the merged settings and exit")
    p.add_argument("--attach", action="append", default=[], metavar="PATH",
                   help="attach a file, folder or glob to the first message (repeatable)")
    chat = p.add_mutually_exclusive_group()
    chat.add_argument("-c", "--continue", dest="resume", action="store_const", const="last",
                      help="continue the most recent chat")
    chat.add_argument("--chat", dest="resume", type=int, metavar="ID",
                      help="open the saved chat ID (Ctrl+L in the app lists them)")
    return p


def _overrides(ns: argparse.Namespace) -> dict[str, object]:
    keys = ("host", "model", "num_ctx", "theme", "data_dir")
    return {k: getattr(ns, k) for k in keys if getattr(ns, k, None) is not None}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in SUBCOMMANDS:
        from nemo_tui.cli_tools import run_subcommand

        return run_subcommand(args[0], args[1:])
    ns = app_parser().parse_args(args)

    from nemo_tui.settings import default_config_path, load_settings, settings_to_toml

    config_file = ns.config or os.environ.get("NEMO_TUI_CONFIG") or default_config_path()
    if ns.config_path:
        print(config_file)
        return 0
    settings, warnings = load_settings(_overrides(ns), os.environ, config_file)
    if ns.print_config:
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(settings_to_toml(settings), end="")
        return 0

    from nemo_tui.ui.factory import build_app

    app = build_app(settings, warnings=warnings, resume=ns.resume, attach=ns.attach)
    app.run(mouse=settings.mouse)
    return app.return_code or 0
