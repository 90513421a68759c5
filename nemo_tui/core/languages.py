"""Reply languages: the table the picker shows and the instruction each adds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    code: str
    english: str
    native: str


LANGUAGES: tuple[Language, ...] = (
    Language("auto", "Auto", "Auto (answer in my language)"),
    Language("en", "English", "English"),
    Language("fr", "French", "Français"),
    Language("de", "German", "Deutsch"),
    Language("es", "Spanish", "Español"),
    Language("it", "Italian", "Italiano"),
    Language("pt", "Portuguese", "Português"),
    Language("zh", "Chinese", "中文"),
    Language("ja", "Japanese", "日本語"),
    Language("ko", "Korean", "한국어"),
    Language("ar", "Arabic", "العربية"),
    Language("hi", "Hindi", "हिन्दी"),
    Language("ru", "Russian", "Русский"),
    Language("nl", "Dutch", "Nederlands"),
)

_BY_KEY = {k: lang for lang in LANGUAGES for k in (lang.code, lang.english.lower(), lang.native.lower())}


def find_language(text: str) -> Language | None:
    """Look a language up by code, English name or native name (case-insensitive)."""
    return _BY_KEY.get(text.strip().lower())


def language_instruction(code: str) -> str:
    """The system instruction a chosen language adds; Auto adds none (Nemo already mirrors)."""
    lang = find_language(code)
    if lang is None or lang.code == "auto":
        return ""
    return (
        f"Always answer in {lang.english} ({lang.native}), whatever language the user writes in, "
        "unless the user explicitly asks for another language."
    )
