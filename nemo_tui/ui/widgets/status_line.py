"""One line at the top: host, model, connection state, language, what is loaded on the GPU."""

from __future__ import annotations

from dataclasses import dataclass, replace

from textual.content import Content
from textual.widgets import Static

CONNECTION_MARKS = {
    "connecting": ("◌", "connecting…"),
    "online": ("●", "connected"),
    "offline": ("✕", "Ollama not reachable"),
}


@dataclass(frozen=True)
class StatusState:
    host: str = ""
    model: str = ""
    connection: str = "connecting"
    server_version: str = ""
    language: str = ""
    route: str = ""
    gpu: str = ""
    gpu_warning: bool = False


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $foreground; padding: 0 1; }
    StatusLine.offline { background: $error 30%; }
    """

    def __init__(self, state: StatusState, **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)
        self.state = state

    def on_mount(self) -> None:
        self._render_state()

    def set(self, **changes) -> None:
        self.state = replace(self.state, **changes)
        self._render_state()

    def _render_state(self) -> None:
        s = self.state
        mark, label = CONNECTION_MARKS.get(s.connection, ("?", s.connection))
        if s.connection == "online" and s.server_version:
            label = f"Ollama {s.server_version}"
        parts: list[Content | str] = [
            Content.styled(f"{mark} {label}", "$success" if s.connection == "online" else "$error"),
            f" {s.host}",
            "  │  ",
            Content.styled(s.model, "bold"),
        ]
        if s.route:
            parts.append(f" ({s.route})")
        if s.language:
            parts += ["  │  ", f"reply: {s.language}"]
        if s.gpu:
            parts += ["  │  ", Content.styled(s.gpu, "$warning" if s.gpu_warning else "")]
        self.set_class(s.connection == "offline", "offline")
        self.update(Content.assemble(*parts))
