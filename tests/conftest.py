"""Fixtures: the Ollama stand-in, settings pointing at it, and an app factory."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from nemo_tui.settings import Settings
from tests.standin import OllamaStandin, free_port


@pytest.fixture
def standin():
    server = OllamaStandin().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def make(host: str, **overrides) -> Settings:
        values = dict(
            host=host,
            data_dir=tmp_path / "data",
            config_path=tmp_path / "config.toml",
            request_timeout=30.0,
        )
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def make_app(make_settings):
    from nemo_tui.ui.factory import build_app

    def make(host: str, **overrides):
        return build_app(make_settings(host, **overrides))

    return make


async def wait_for(predicate: Callable[[], bool], pilot, timeout: float = 5.0) -> None:
    """Let the app run until predicate() holds; fail with a clear message otherwise."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await pilot.pause(0.05)


__all__ = ["wait_for", "free_port"]
