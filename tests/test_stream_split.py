"""The streaming splitter: paragraph text flows, lists and fences are held and cut in parts."""

from __future__ import annotations

import random

import pytest

from nemo_tui.core.stream_split import StreamSplitter
from tests.standin import long_markdown_reply


def run(text: str, pieces: list[str] | None = None, **kw):
    s = StreamSplitter(**kw)
    units = []
    for piece in pieces if pieces is not None else list(text):
        s.feed(piece)
        units += s.take()
    units += s.take(final=True)
    return s, units


def plain(units) -> str:
    """The units' text with the fence re-openings/closings of cut fences removed."""
    out = []
    for u in units:
        text = u.text
        if u.kind == "block" and u.joins_above and text.startswith("```"):
            text = text.split("\n", 1)[1]
        if u.kind == "block" and u.joins_below and text.rstrip().endswith("```"):
            text = text.rstrip()[: -3]
        out.append(text)
    return "".join(out)


def test_paragraphs_flow_as_they_arrive():
    s = StreamSplitter()
    s.feed("Hello **wor")
    units = s.take()
    assert [u.kind for u in units] == ["flow"] and units[0].text == "Hello **wor"
    s.feed("ld**")
    assert s.take()[0].text == "ld**"


def test_partial_line_that_may_start_a_list_waits():
    s = StreamSplitter()
    s.feed("Intro\n- it")
    units = s.take()
    assert "".join(u.text for u in units) == "Intro\n"
    assert s.pending == "- it"


def test_list_is_held_then_cut_in_parts():
    items = "".join(f"- item {i}\n" for i in range(1, 13))
    s, units = run("Intro\n\n" + items + "\nAfter the list.\n", list_part=5)
    blocks = [u for u in units if u.kind == "block"]
    assert [u.text.count("- item") for u in blocks] == [5, 5, 2]
    assert [(u.joins_above, u.joins_below) for u in blocks] == [(False, True), (True, True), (True, False)]
    assert units[-1].kind == "flow" and units[-1].text.startswith("After")


def test_fence_cut_in_parts_reopens_with_its_info_string():
    code = "".join(f"x = {i}\n" for i in range(70))
    s, units = run("Text\n\n```python\n" + code + "```\nDone.\n", fence_part=30)
    blocks = [u for u in units if u.kind == "block"]
    assert len(blocks) == 3
    assert all(b.text.startswith("```python\n") for b in blocks)
    assert all(b.text.rstrip().endswith("```") for b in blocks)
    assert plain(units).replace("```python\n", "", 1) .count("x = ") == 70


def test_list_inside_fence_is_not_a_list_and_fence_in_list_stays():
    text = "```\n- not a list\n```\n\n- item\n  ```\n  - code\n  ```\n- next\n"
    s, units = run(text, list_part=1)
    blocks = [u.text for u in units if u.kind == "block"]
    assert blocks[0] == "```\n- not a list\n```\n"
    assert "  - code" in blocks[1] and blocks[1].startswith("- item")


@pytest.mark.parametrize("seed", range(5))
def test_nothing_is_lost_whatever_the_chunking(seed):
    rng = random.Random(seed)
    text = "".join(long_markdown_reply())
    pieces, i = [], 0
    while i < len(text):
        n = rng.randint(1, 12)
        pieces.append(text[i : i + n])
        i += n
    s, units = run(text, pieces)
    assert s.pending == ""
    assert plain(units).replace("```python\n", "") == text.replace("```python\n", "")
