"""Build the app from Settings; tests pass their own."""

from __future__ import annotations

from typing import Any

from nemo_tui.ui.app import NemoApp


def build_app(
    settings: Any, warnings: list[str] | None = None, resume: int | str | None = None,
    attach: list[str] | None = None,
) -> NemoApp:
    """`resume`: None starts a new chat, "last" continues the most recent one, an id that chat."""
    app = NemoApp(settings, resume=resume)
    app.startup_warnings = list(warnings or [])
    app.startup_attach = tuple(attach or ())  # read in a thread once the app is up
    return app
