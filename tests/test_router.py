"""Routing decisions for each rule and threshold, model names, the GPU summary, /set parsing
and /compare arguments: core only, no UI."""

from __future__ import annotations

import pytest

from nemo_tui.core.model_choice import (
    OptionError,
    display_name,
    gpu_summary,
    mode_label,
    model_facts_line,
    parse_compare_args,
    parse_option,
    placement,
    resolve_model,
    route_for,
    short_label,
    would_use_fast,
)
from nemo_tui.core.router import Route, RouteRules, Turn, canonical_model, choose_model, same_model

RULES = RouteRules(main_model="mistral-nemo", fast_model="mistral:7b", auto=True, short_prompt_tokens=64)
BOTH = {"mistral-nemo:latest", "mistral:7b"}


def turn(tokens=10, attachments=False, conversation=500, ctx=4096) -> Turn:
    return Turn(tokens, attachments, conversation, ctx)


# -- choose_model: every rule ---------------------------------------------------------------------
def test_short_prompt_goes_to_fast_model():
    assert choose_model(RULES, turn(), None, BOTH) == Route("mistral:7b", "auto: short prompt")


@pytest.mark.parametrize("tokens, model", [(63, "mistral:7b"), (64, "mistral:7b"), (65, "mistral-nemo")])
def test_threshold_is_inclusive(tokens, model):
    assert choose_model(RULES, turn(tokens), None, BOTH).model == model


def test_threshold_follows_the_rules():
    rules = RouteRules("mistral-nemo", "mistral:7b", True, short_prompt_tokens=8)
    assert choose_model(rules, turn(9), None, BOTH).model == "mistral-nemo"
    assert choose_model(rules, turn(8), None, BOTH).model == "mistral:7b"
    zero = RouteRules("mistral-nemo", "mistral:7b", True, short_prompt_tokens=0)
    assert choose_model(zero, turn(0), None, BOTH).model == "mistral:7b"
    assert choose_model(zero, turn(1), None, BOTH).model == "mistral-nemo"


def test_long_prompt_names_its_length():
    assert choose_model(RULES, turn(200), None, BOTH) == Route("mistral-nemo", "auto: long prompt (200 tokens)")


def test_attachment_always_goes_to_main_even_when_short():
    assert choose_model(RULES, turn(1, attachments=True), None, BOTH) == Route("mistral-nemo", "auto: attachment")


@pytest.mark.parametrize("conversation, model", [(4095, "mistral:7b"), (4096, "mistral:7b"), (4097, "mistral-nemo")])
def test_conversation_must_fit_the_fast_models_context(conversation, model):
    assert choose_model(RULES, turn(5, conversation=conversation, ctx=4096), None, BOTH).model == model


def test_unknown_counts_are_not_guessed():
    assert choose_model(RULES, Turn(None, False, None, None), None, BOTH) == Route("mistral-nemo", "auto: tokenizer loading")
    # conversation size unknown but the prompt is short: the fast model
    assert choose_model(RULES, Turn(3, False, None, None), None, BOTH).model == "mistral:7b"


def test_missing_fast_model_uses_main():
    route = choose_model(RULES, turn(), None, {"mistral-nemo:latest"})
    assert route == Route("mistral-nemo", "auto: mistral:7b not installed")


def test_pinned_and_auto_off():
    assert choose_model(RULES, turn(), "mistral:7b", BOTH) == Route("mistral:7b", "pinned")
    off = RouteRules("mistral-nemo", "mistral:7b", auto=False)
    assert choose_model(off, turn(), None, BOTH) == Route("mistral-nemo", "auto off")


def test_installed_none_assumes_present():
    assert choose_model(RULES, turn(), None, None).model == "mistral:7b"


# -- route_for: the reasons every reply is labelled with --------------------------------------------
@pytest.mark.parametrize(
    "t, installed, reason",
    [
        (turn(), BOTH, "auto: short prompt → mistral:7b"),
        (turn(1, attachments=True), BOTH, "auto: attachment → mistral-nemo"),
        (turn(100), BOTH, "auto: long prompt (100 tokens) → mistral-nemo"),
        (turn(5, conversation=9000), BOTH, "auto: conversation too long for mistral:7b → mistral-nemo"),
        (turn(), {"mistral-nemo:latest"}, "auto: mistral:7b is not installed → mistral-nemo"),
        (Turn(None, False, None, None), BOTH, "auto: tokenizer loading → mistral-nemo"),
        (turn(), None, "auto: models not listed yet → mistral-nemo"),
    ],
)
def test_reasons_read_like_labels(t, installed, reason):
    assert route_for(RULES, t, None, installed).reason == reason


def test_route_for_pinned():
    assert route_for(RULES, turn(), "mistral:7b", BOTH) == Route("mistral:7b", "pinned")


def test_would_use_fast_ignores_installation():
    assert would_use_fast(RULES, turn())
    assert not would_use_fast(RULES, turn(100))


# -- names ---------------------------------------------------------------------------------------------
def test_names_resolve_like_ollama():
    assert canonical_model("mistral-nemo") == "mistral-nemo:latest"
    assert same_model("mistral-nemo", "mistral-nemo:latest")
    assert not same_model("mistral", "mistral:7b")
    assert display_name("mistral-nemo:latest") == "mistral-nemo"
    assert display_name("mistral:7b") == "mistral:7b"


@pytest.mark.parametrize(
    "name, label",
    [("mistral-nemo", "nemo"), ("mistral:7b", "7b"), ("mistral", "mistral"),
     ("mistral-nemo:12b-instruct-2407-q8_0", "nemo:12b-instruct-2407-q8_0"), ("llama3.2:3b", "llama3.2:3b")],
)
def test_short_labels(name, label):
    assert short_label(name) == label


def test_mode_label():
    assert mode_label("mistral-nemo", "mistral:7b", True) == "nemo ↔ 7b"
    assert mode_label("mistral-nemo", "mistral:7b", None) == "nemo ↔ 7b"
    assert mode_label("mistral-nemo", "mistral:7b", False) == "nemo only: 7b not installed"


def test_resolve_model():
    installed = {"mistral-nemo:latest", "mistral:7b", "mistral:latest"}
    assert resolve_model("mistral-nemo", installed) == ("mistral-nemo", [])
    assert resolve_model("mistral-nemo:latest", installed) == ("mistral-nemo:latest", [])
    assert resolve_model("nemo", installed) == ("mistral-nemo", [])
    assert resolve_model("7b", installed) == ("mistral:7b", [])
    name, candidates = resolve_model("istr", installed)
    assert name is None and candidates == ["mistral-nemo", "mistral:7b", "mistral"]
    assert resolve_model("llama3", installed) == (None, [])
    assert resolve_model("anything", None) == ("anything", [])


# -- /api/tags and /api/ps -------------------------------------------------------------------------------
def test_model_facts_line():
    entry = {"model": "mistral-nemo:latest", "size": 7_071_713_232,
             "details": {"parameter_size": "12.2B", "quantization_level": "Q4_K_M"}}
    assert model_facts_line(entry) == "12.2B · Q4_K_M · 6.6 GiB"
    assert model_facts_line({"model": "x"}) == ""


@pytest.mark.parametrize(
    "size, vram, text, split",
    [(100, 100, "GPU 100%", False), (100, 0, "CPU 100%", True), (100, 62, "GPU 62% / CPU 38%", True),
     (1000, 996, "GPU 100% / CPU 0%", True), (0, 0, "GPU ?", False)],
)
def test_placement(size, vram, text, split):
    assert placement({"size": size, "size_vram": vram}) == (text, split)


def test_gpu_summary():
    assert gpu_summary(None) == ("", False)
    assert gpu_summary([]) == ("no model loaded", False)
    full = {"model": "mistral-nemo:latest", "size": 10, "size_vram": 10, "context_length": 4096}
    fast = {"model": "mistral:7b", "size": 10, "size_vram": 10, "context_length": 32768}
    split = {"model": "mistral:7b", "size": 100, "size_vram": 62, "context_length": 5000}
    assert gpu_summary([full]) == ("GPU 100%: nemo 4k ctx", False)
    assert gpu_summary([full, fast]) == ("GPU 100%: nemo 4k, 7b 32k ctx", False)
    assert gpu_summary([full, split]) == ("nemo GPU 100% 4k, 7b GPU 62% / CPU 38% 5,000 ctx", True)
    assert gpu_summary([{"name": "x", "size": 10, "size_vram": 0}]) == ("x CPU 100%", True)


# -- /set ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, text, expected",
    [("temperature", "0.7", ("temperature", 0.7)), ("temperature", "0", ("temperature", 0.0)),
     ("top_p", "1", ("top_p", 1.0)), ("top-p", "0.05", ("top_p", 0.05)), ("seed", "42", ("seed", 42)),
     ("seed", "-3", ("seed", -3)), ("num_predict", "-2", ("num_predict", -2)),
     ("num_predict", "128", ("num_predict", 128)), ("TEMPERATURE", "default", ("temperature", None)),
     ("seed", "unset", ("seed", None))],
)
def test_parse_option(name, text, expected):
    assert parse_option(name, text) == expected


@pytest.mark.parametrize(
    "name, text, message",
    [("temperature", "-0.1", "≥ 0"), ("temperature", "hot", "≥ 0"), ("temperature", "nan", "≥ 0"),
     ("top_p", "0", "above 0"), ("top_p", "1.5", "at most 1"), ("seed", "1.5", "whole number"),
     ("num_predict", "-3", "≥ -2"), ("num_predict", "ten", "whole number"), ("mirostat", "1", "Unknown"),
     ("seed", "", "needs a value")],
)
def test_parse_option_errors(name, text, message):
    with pytest.raises(OptionError, match=message):
        parse_option(name, text)


# -- /compare --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args, expected",
    [("hello there", (None, "hello there")),
     ("mistral-nemo,mistral:7b say hi", (("mistral-nemo", "mistral:7b"), "say hi")),
     ("a,b", (("a", "b"), "")),
     ("Hi, how are you", (None, "Hi, how are you")),
     ("one,two,three go", (None, "one,two,three go"))],
)
def test_parse_compare_args(args, expected):
    assert parse_compare_args(args) == expected
