"""The /attach limits come from the settings (config file, NEMO_TUI_ATTACH_MAX_MB …)."""

from __future__ import annotations

from tests.attach_helpers import attach, here, notes  # noqa: F401  (fixture)


async def test_size_limit_from_settings_refuses_clearly(standin, make_app, here):  # noqa: F811
    (here / "big.txt").write_text("x" * 300_000)
    (here / "small.txt").write_text("hello\n")
    app = make_app(standin.url, attach_max_mb=0.1)
    async with app.run_test(size=(120, 40)) as pilot:
        await attach(pilot, "big.txt")
        assert app.pending_attachments == []
        assert any("big.txt is 293.0 KB, over the 102.4 KB limit" in n for n in notes(app, "error"))
        await attach(pilot, "small.txt")
        assert [a.path for a in app.pending_attachments] == ["small.txt"]
