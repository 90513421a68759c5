"""Subcommands that run without the app: each lives in its own module, imported on demand."""

from __future__ import annotations

import importlib

MODULES = {
    "tokens": "nemo_tui.cli_tokens",
    "export": "nemo_tui.cli_export",
}


def run_subcommand(name: str, args: list[str]) -> int:
    """Each module has `main(args) -> exit status`."""
    module = importlib.import_module(MODULES[name])
    return int(module.main(args) or 0)
