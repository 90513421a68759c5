"""/show: a model's details as plain text (server text stays data)."""

from __future__ import annotations

from typing import Any

from textual.content import Content

from nemo_tui.core.context import model_info_of, training_context
from nemo_tui.core.sanitize import safe_display


def _block(title: str, text: str) -> list[Content | str]:
    body = safe_display(text.strip("\n"))
    indented = "\n".join("  " + line for line in body.splitlines()) or "  (none)"
    return [Content.styled(f"\n{title}\n", "bold"), indented, "\n"]


def show_text(model: str, show: dict[str, Any], options: dict[str, Any]) -> Content:
    """/api/show for one model, as plain text: details, parameters, this chat's options, template."""
    details = show.get("details") or {}
    out: list[Content | str] = [Content.styled(f"{safe_display(model)}\n", "bold")]
    rows = [
        ("family", details.get("family")),
        ("parameters", details.get("parameter_size")),
        ("quantization", details.get("quantization_level")),
        ("format", details.get("format")),
    ]
    train = training_context(model_info_of(show))
    if train:
        rows.append(("trained context", f"{train:,} tokens"))
    caps = show.get("capabilities")
    if caps:
        rows.append(("capabilities", ", ".join(str(c) for c in caps)))
    for label, value in rows:
        if value:
            out.append(f"  {label:<16}{safe_display(str(value))}\n")
    out += _block("Modelfile parameters", show.get("parameters") or "")
    chat = "\n".join(f"{k:<16}{v}" for k, v in options.items())
    out += _block("This chat's options (sent with every request)", chat)
    if show.get("system"):
        out += _block("Modelfile system prompt", show["system"])
    out += _block("Template", show.get("template") or "")
    license_text = (show.get("license") or "").strip()
    if license_text:
        out += _block("License", license_text.splitlines()[0])
    return Content.assemble(*out)
