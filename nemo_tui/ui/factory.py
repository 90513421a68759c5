"""Build the app from Settings; tests pass their own."""

from __future__ import annotations

from typing import Any

from nemo_tui.ui.app import NemoApp


def build_app(settings: Any, warnings: list[str] | None = None) -> NemoApp:
    app = NemoApp(settings)
    app.startup_warnings = list(warnings or [])
    return app
