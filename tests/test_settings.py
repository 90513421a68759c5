"""Settings: host parsing, layer precedence, conversions, config warnings, printing."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from nemo_tui.settings import (
    Settings,
    default_config_path,
    load_settings,
    parse_host,
    parse_num_ctx,
    settings_to_toml,
)


def config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


# -- host -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, "http://127.0.0.1:11434"),
        ("", "http://127.0.0.1:11434"),
        ("  ", "http://127.0.0.1:11434"),
        (":56789", "http://127.0.0.1:56789"),
        ("1.2.3.4", "http://1.2.3.4:11434"),
        ("1.2.3.4:56789", "http://1.2.3.4:56789"),
        ("example.com", "http://example.com:11434"),
        ("example.com:56789", "http://example.com:56789"),
        ("example.com/", "http://example.com:11434"),
        ("example.com:56789/", "http://example.com:56789"),
        ("example.com/path/", "http://example.com:11434/path"),
        ("http://example.com", "http://example.com:80"),
        ("https://example.com", "https://example.com:443"),
        ("https://example.com:56789/path/", "https://example.com:56789/path"),
        ("http://localhost:11434/", "http://localhost:11434"),
        ("[::1]", "http://[::1]:11434"),
        ("[0001:002:003:0004::1]:56789", "http://[0001:002:003:0004::1]:56789"),
        ("https://[::1]", "https://[::1]:443"),
    ],
)
def test_parse_host(value, expected):
    assert parse_host(value) == expected


def test_parse_host_rejects_bad_port():
    with pytest.raises(ValueError):
        parse_host("box:notaport")


@pytest.mark.parametrize(
    "value, expected",
    [(8192, 8192), ("8192", 8192), ("32k", 32768), ("32K", 32768), (" 128k ", 131072)],
)
def test_parse_num_ctx(value, expected):
    assert parse_num_ctx(value) == expected


@pytest.mark.parametrize("value", ["lots", "32m", "0", -1, "", True, 3.5, "1.5k"])
def test_parse_num_ctx_rejects(value):
    with pytest.raises(ValueError):
        parse_num_ctx(value)


# -- defaults and precedence ------------------------------------------------------------


def test_defaults(tmp_path):
    settings, warnings = load_settings({}, {}, tmp_path / "missing.toml")
    assert warnings == []  # a missing config file is fine
    assert settings.host == "http://127.0.0.1:11434"
    assert settings.model == "mistral-nemo"
    assert settings.fallback_model == "mistral:7b"
    assert settings.auto_route is True
    assert settings.short_prompt_tokens == 64
    assert settings.num_ctx is None
    assert settings.reply_reserve == 1024
    assert settings.language == "auto"
    assert settings.theme == "nemo-dark"
    assert settings.request_timeout == 300.0
    assert settings.system_prompt == ""
    assert settings.keymap == {}
    assert settings.temperature is settings.top_p is settings.seed is settings.num_predict is None
    assert settings.mouse is True
    assert settings.config_path == tmp_path / "missing.toml"
    assert settings.data_dir == Settings().data_dir
    assert settings.data_dir.name == "nemo-tui"
    assert default_config_path().name == "config.toml"
    assert default_config_path().parent.name == "nemo-tui"


def test_precedence_all_four_layers(tmp_path):
    path = config(
        tmp_path,
        'model = "from-config"\ntheme = "amber-crt"\nnum_ctx = 8192\nlanguage = "fr"\n',
    )
    env = {
        "NEMO_TUI_MODEL": "from-env",
        "NEMO_TUI_NUM_CTX": "16k",
        "NEMO_TUI_LANGUAGE": "de",
    }
    argv = {"model": "from-argv", "num_ctx": None, "theme": None}
    settings, warnings = load_settings(argv, env, path)
    assert warnings == []
    assert settings.model == "from-argv"  # command line beats everything
    assert settings.num_ctx == 16384  # environment beats config (argv None = not given)
    assert settings.language == "de"
    assert settings.theme == "amber-crt"  # config beats default
    assert settings.fallback_model == "mistral:7b"  # default


def test_host_layers(tmp_path):
    path = config(tmp_path, 'host = "cfg-box"\n')
    assert load_settings({}, {}, path)[0].host == "http://cfg-box:11434"
    assert load_settings({}, {"OLLAMA_HOST": ":9999"}, path)[0].host == "http://127.0.0.1:9999"
    both = {"OLLAMA_HOST": ":9999", "NEMO_TUI_HOST": "https://nemo.example"}
    assert load_settings({}, both, path)[0].host == "https://nemo.example:443"
    argv = {"host": "argv-box:1"}
    assert load_settings(argv, both, path)[0].host == "http://argv-box:1"


def test_generic_env_vars_convert_types(tmp_path):
    env = {
        "NEMO_TUI_AUTO_ROUTE": "off",
        "NEMO_TUI_MOUSE": "no",
        "NEMO_TUI_SHORT_PROMPT_TOKENS": "32",
        "NEMO_TUI_REQUEST_TIMEOUT": "12.5",
        "NEMO_TUI_TEMPERATURE": "0.2",
        "NEMO_TUI_TOP_P": "0.9",
        "NEMO_TUI_SEED": "42",
        "NEMO_TUI_NUM_PREDICT": "-1",
        "NEMO_TUI_DATA_DIR": str(tmp_path / "data"),
        "NEMO_TUI_THEME": "nemo-light",
        "NEMO_TUI_FALLBACK_MODEL": "tiny",
        "NEMO_TUI_SYSTEM_PROMPT": "Be brief.",
        "NEMO_TUI_REPLY_RESERVE": "",  # empty means unset
    }
    settings, warnings = load_settings({}, env, tmp_path / "none.toml")
    assert warnings == []
    assert settings.auto_route is False and settings.mouse is False
    assert settings.short_prompt_tokens == 32
    assert settings.request_timeout == 12.5
    assert settings.temperature == 0.2 and settings.top_p == 0.9
    assert settings.seed == 42 and settings.num_predict == -1
    assert settings.data_dir == tmp_path / "data"
    assert settings.theme == "nemo-light" and settings.fallback_model == "tiny"
    assert settings.system_prompt == "Be brief."
    assert settings.reply_reserve == 1024


def test_config_file_chosen_from_env_or_argv(tmp_path):
    a = tmp_path / "a.toml"
    a.write_text('model = "a"\n')
    b = tmp_path / "b.toml"
    b.write_text('model = "b"\n')
    settings, _ = load_settings({}, {"NEMO_TUI_CONFIG": str(a)}, None)
    assert settings.model == "a" and settings.config_path == a
    settings, _ = load_settings({"config_path": str(b)}, {"NEMO_TUI_CONFIG": str(a)}, None)
    assert settings.model == "b" and settings.config_path == b
    settings, _ = load_settings({}, {"NEMO_TUI_CONFIG": str(a)}, str(b))  # explicit wins
    assert settings.model == "b"


def test_argv_strings_are_converted_and_num_ctx_auto(tmp_path):
    path = config(tmp_path, "num_ctx = 8192\n")
    settings, warnings = load_settings(
        {"num_ctx": "auto", "data_dir": "~/chats"}, {}, path
    )
    assert warnings == []
    assert settings.num_ctx is None  # explicitly back to the model default
    assert settings.data_dir == Path("~/chats").expanduser()


def test_config_keymap_and_types(tmp_path):
    path = config(
        tmp_path,
        'num_ctx = "32k"\nrequest_timeout = 60\nmouse = false\n'
        '[keymap]\nsend = "ctrl+j"\n"copy.code" = "ctrl+shift+c"\n',
    )
    settings, warnings = load_settings({}, {}, path)
    assert warnings == []
    assert settings.num_ctx == 32768
    assert settings.request_timeout == 60.0 and isinstance(settings.request_timeout, float)
    assert settings.mouse is False
    assert settings.keymap == {"send": "ctrl+j", "copy.code": "ctrl+shift+c"}


# -- config problems become warnings ---------------------------------------------------


def test_toml_syntax_error_names_file_and_line(tmp_path):
    path = config(tmp_path, 'model = "ok"\nnum_ctx = \ntheme = "x"\n')
    settings, warnings = load_settings({}, {}, path)
    assert len(warnings) == 1
    assert str(path) in warnings[0]
    assert "line 2" in warnings[0]
    assert "invalid TOML" in warnings[0]
    assert settings.model == "mistral-nemo"  # the whole file is ignored


def test_bad_value_names_key_and_falls_back(tmp_path):
    path = config(tmp_path, 'num_ctx = "lots"\nmodel = "kept"\n')
    settings, warnings = load_settings({}, {}, path)
    assert warnings == [
        f"{path}: key 'num_ctx': expected an integer like 32768 or '32k', got 'lots'; "
        "using the default"
    ]
    assert settings.num_ctx is None
    assert settings.model == "kept"


def test_bad_value_lets_env_still_apply(tmp_path):
    path = config(tmp_path, "reply_reserve = -5\n")
    settings, warnings = load_settings({}, {"NEMO_TUI_REPLY_RESERVE": "2048"}, path)
    assert settings.reply_reserve == 2048
    assert "key 'reply_reserve': must be at least 0" in warnings[0]


def test_unknown_key_with_suggestion(tmp_path):
    path = config(tmp_path, 'modle = "x"\nfrobnicate = 1\n')
    settings, warnings = load_settings({}, {}, path)
    assert warnings[0] == f"{path}: unknown key 'modle'; did you mean 'model'?; ignored"
    assert warnings[1] == f"{path}: unknown key 'frobnicate'; ignored"
    assert settings.model == "mistral-nemo"


@pytest.mark.parametrize(
    "text, fragment",
    [
        ('mouse = "maybe"', "key 'mouse': expected true or false, got 'maybe'"),
        ("short_prompt_tokens = 1.5", "key 'short_prompt_tokens': expected an integer"),
        ("short_prompt_tokens = true", "key 'short_prompt_tokens': expected an integer"),
        ('request_timeout = "soon"', "key 'request_timeout': expected a number"),
        ("request_timeout = 0", "key 'request_timeout': must be greater than 0"),
        ("top_p = 2.0", "key 'top_p': must be at most 1"),
        ("temperature = nan", "key 'temperature': expected a number"),
        ("model = 7", "key 'model': expected a string, got 7"),
        ('model = ""', "key 'model': must not be empty"),
        ('host = "box:port"', "key 'host': expected a host like"),
        ("keymap = 3", "key 'keymap': expected a table"),
        ("[keymap]\nsend = 5", "key 'keymap': binding 'send'"),
        ('config_path = "/x.toml"', "key 'config_path' cannot be set in the config file"),
    ],
)
def test_each_config_error_kind(tmp_path, text, fragment):
    path = config(tmp_path, text + "\n")
    settings, warnings = load_settings({}, {}, path)
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f"{path}: ")
    assert fragment in warnings[0]
    assert settings == Settings(config_path=path)  # everything stays at its default


def test_bad_env_and_argv_values_warn(tmp_path):
    settings, warnings = load_settings(
        {"num_ctx": "huge", "bogus": 1},
        {"NEMO_TUI_SEED": "abc", "OLLAMA_HOST": "box:xx"},
        tmp_path / "none.toml",
    )
    assert settings.num_ctx is None and settings.seed is None
    assert settings.host == "http://127.0.0.1:11434"
    assert any(w.startswith("command line --num-ctx: expected an integer") for w in warnings)
    assert any("unknown setting 'bogus'" in w for w in warnings)
    assert any(w.startswith("environment NEMO_TUI_SEED: expected an integer") for w in warnings)
    assert any(w.startswith("environment OLLAMA_HOST:") for w in warnings)


def test_unreadable_config_is_a_warning(tmp_path):
    settings, warnings = load_settings({}, {}, tmp_path)  # a directory
    assert len(warnings) == 1 and "cannot read config file" in warnings[0]
    assert settings.model == "mistral-nemo"


# -- printing ---------------------------------------------------------------------------


def test_settings_to_toml_round_trips(tmp_path):
    settings = Settings(
        host="http://box:1234",
        model="nemo:12b",
        num_ctx=32768,
        temperature=0.3,
        seed=None,
        system_prompt='Say "hi"\n\tthen \\ stop \x7f',
        data_dir=tmp_path / "data dir",
        keymap={"send": "ctrl+j", "copy.code": "ctrl+y"},
        mouse=False,
        config_path=tmp_path / "config.toml",
    )
    text = settings_to_toml(settings)
    data = tomllib.loads(text)  # valid TOML
    assert "config_path" not in data
    assert "seed" not in data and "# seed: unset" in text
    assert data["num_ctx"] == 32768
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    loaded, warnings = load_settings({}, {}, path)
    assert warnings == []
    assert loaded == settings


def test_print_config_shows_merged_result(tmp_path):
    path = config(tmp_path, 'theme = "amber-crt"\n')
    settings, _ = load_settings({"model": "argv-model"}, {"NEMO_TUI_NUM_CTX": "4k"}, path)
    data = tomllib.loads(settings_to_toml(settings))
    assert data["theme"] == "amber-crt"
    assert data["model"] == "argv-model"
    assert data["num_ctx"] == 4096
    assert data["host"] == "http://127.0.0.1:11434"
