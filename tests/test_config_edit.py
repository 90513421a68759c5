"""Saving one key into the user's config file: the rest of the file is kept as written."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from nemo_tui.core.config_edit import ConfigEditError, set_config_string
from nemo_tui.settings import load_settings

CONFIG = """\
# my nemo-tui config
model = "mistral-nemo"   # the big one
theme = "nemo-dark"  # was dark
num_ctx = "32k"

# keys I like
[keymap]
retry = "ctrl+g"
"""


def test_replaces_the_line_and_keeps_everything_else(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    set_config_string(path, "theme", "amber-crt")
    text = path.read_text()
    assert text == CONFIG.replace('theme = "nemo-dark"', 'theme = "amber-crt"')
    assert '# was dark' in text
    settings, warnings = load_settings(config_file=path, env={})
    assert warnings == []
    assert (settings.theme, settings.model, settings.num_ctx) == ("amber-crt", "mistral-nemo", 32768)
    assert settings.keymap == {"retry": "ctrl+g"}


def test_adds_a_top_level_key_before_the_tables(tmp_path):
    path = tmp_path / "config.toml"
    original = CONFIG.replace('theme = "nemo-dark"  # was dark\n', "")
    path.write_text(original)
    set_config_string(path, "theme", "nemo-light")
    data = tomllib.loads(path.read_text())
    assert data["theme"] == "nemo-light"  # top level, not keymap.theme
    assert data["keymap"] == {"retry": "ctrl+g"}
    # only one line was added; the comment still introduces its table
    assert path.read_text().replace('theme = "nemo-light"\n', "") == original
    assert "# keys I like\n[keymap]" in path.read_text()


def test_only_tables_and_comments(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("# hi\n[keymap]\nhelp = \"f2\"\n")
    set_config_string(path, "theme", "nemo-light")
    assert tomllib.loads(path.read_text()) == {"theme": "nemo-light", "keymap": {"help": "f2"}}


def test_creates_missing_file_and_directory(tmp_path):
    path = tmp_path / "deep" / "er" / "config.toml"
    set_config_string(path, "theme", "nemo-contrast")
    assert path.read_text() == 'theme = "nemo-contrast"\n'


def test_file_without_final_newline_and_crlf(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b'model = "x"\r\nlanguage = "de"')
    set_config_string(path, "theme", "nemo-light")
    assert path.read_bytes() == b'model = "x"\r\nlanguage = "de"\r\ntheme = "nemo-light"\r\n'


def test_value_is_escaped(tmp_path):
    path = tmp_path / "config.toml"
    set_config_string(path, "theme", 'we"ird\\name')
    assert tomllib.loads(path.read_text())["theme"] == 'we"ird\\name'


def test_broken_file_is_not_touched(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b'model = "x"\ntheme = \n')
    with pytest.raises(ConfigEditError, match="not valid TOML.*fix it first") as info:
        set_config_string(path, "theme", "nemo-light")
    assert str(path) in str(info.value)
    assert path.read_bytes() == b'model = "x"\ntheme = \n'


def test_unusual_file_is_refused_rather_than_damaged(tmp_path):
    # A "theme = ..." line inside a multi-line string must not be edited as if it were the key.
    text = 'system_prompt = """\ntheme = "inside a string"\n"""\nmodel = "x"\n'
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigEditError, match="by hand"):
        set_config_string(path, "theme", "nemo-light")
    assert path.read_text() == text


def test_unwritable_place_is_an_error(tmp_path):
    if not hasattr(os, "geteuid") or os.geteuid() == 0:  # root writes anywhere, except where the kernel says no
        path = Path("/proc/nemo-tui-test/config.toml")
        with pytest.raises(ConfigEditError, match="cannot write /proc/nemo-tui-test/config.toml"):
            set_config_string(path, "theme", "nemo-light")
        return
    directory = tmp_path / "ro"
    directory.mkdir()
    path = directory / "config.toml"
    path.write_text('model = "x"\n')
    directory.chmod(0o500)
    try:
        with pytest.raises(ConfigEditError, match="cannot write"):
            set_config_string(path, "theme", "nemo-light")
    finally:
        directory.chmod(0o700)
    assert path.read_text() == 'model = "x"\n'
    assert list(directory.iterdir()) == [path]  # no temp file left behind


def test_symlinked_config_is_written_through(tmp_path):
    real = tmp_path / "dotfiles" / "nemo.toml"
    real.parent.mkdir()
    real.write_text('model = "x"\n')
    link = tmp_path / "config.toml"
    link.symlink_to(real)
    set_config_string(link, "theme", "amber-crt")
    assert link.is_symlink()
    assert tomllib.loads(real.read_text()) == {"model": "x", "theme": "amber-crt"}
