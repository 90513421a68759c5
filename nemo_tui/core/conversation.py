"""Messages, attachments and conversations; builds the message list a request sends.

Plain dataclasses with no Textual or ollama imports, so every other core module and the
tests can use them cheaply.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant"]
# complete: finished normally; streaming: still arriving (or interrupted by a crash, as
# stored); stopped: the user pressed Esc; error: the stream failed part way.
Status = Literal["complete", "streaming", "stopped", "error", "interrupted"]


@dataclass
class Attachment:
    """One file's text, ready to be sent with a user message."""

    path: str  # as shown to the user and named to the model
    content: str
    size: int  # bytes on disk
    sha256: str = ""
    tokens: int | None = None  # exact count of the rendered block, when known
    kind: str = "text"  # "text" | "pdf"
    notice: str | None = None  # e.g. "decoded as latin-1", shown on the chip

    def render(self) -> str:
        """The delimited block the model sees; it names the path so files stay apart."""
        body = self.content if self.content.endswith("\n") else self.content + "\n"
        return f"<file path=\"{self.path}\">\n{body}</file>"


@dataclass
class Message:
    role: Role
    content: str
    model: str | None = None
    status: Status = "complete"
    created_at: float = field(default_factory=time.time)
    id: int | None = None  # store row id, once saved
    attachments: list[Attachment] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)  # server metrics from the final chunk
    route_reason: str | None = None
    predicted_prompt_tokens: int | None = None
    error: str | None = None

    def request_content(self) -> str:
        """Text sent to the server: attachment blocks first, then what the user typed."""
        if not self.attachments:
            return self.content
        blocks = "\n\n".join(a.render() for a in self.attachments)
        return f"{blocks}\n\n{self.content}" if self.content else blocks

    @property
    def is_sent(self) -> bool:
        """Whether this message goes into later requests.

        Failed replies are shown to the user but not replayed to the model; a stopped reply
        is what the user chose to keep, so it is sent.
        """
        if self.role == "assistant":
            return self.status != "error" and bool(self.content)
        return True


@dataclass
class Conversation:
    id: int | None = None
    title: str = ""
    model: str = "mistral-nemo"
    num_ctx: int | None = None  # set by /ctx; None = whatever the server uses
    language: str = "auto"
    system_prompt: str = ""
    options: dict[str, Any] = field(default_factory=dict)  # temperature, top_p, seed, num_predict
    messages: list[Message] = field(default_factory=list)
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)

    def system_text(self, language_instruction: str = "") -> str:
        parts = [p for p in (self.system_prompt.strip(), language_instruction.strip()) if p]
        return "\n\n".join(parts)

    def request_messages(
        self, language_instruction: str = "", extra: Message | None = None
    ) -> list[dict[str, str]]:
        """The `messages` list for /api/chat: system first, then every sent message.

        `extra` is a message not yet in the conversation (the draft, for counting).
        """
        out: list[dict[str, str]] = []
        system = self.system_text(language_instruction)
        if system:
            out.append({"role": "system", "content": system})
        msgs = [m for m in self.messages if m.is_sent and m.role != "system"]
        if extra is not None:
            msgs.append(extra)
        out.extend({"role": m.role, "content": m.request_content()} for m in msgs)
        return out
