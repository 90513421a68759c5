"""Unit tests of /attach's UI-free parts: argument words, Tab completion, chips, progress."""

from __future__ import annotations

from pathlib import Path

import pytest

from nemo_tui.core.attachments import AttachLimits, AttachResult, Skipped, complete_path
from nemo_tui.core.conversation import Attachment
from nemo_tui.ui.attach_state import (
    GROUP_OVER,
    AttachBatch,
    AttachBook,
    AttachJob,
    complete_arg,
    describe_files,
    quote_arg,
    skip_lines,
    split_args,
)
from nemo_tui.ui.widgets.attached_files import PREVIEW_LINES, preview_text


def att(path: str, size: int = 10, tokens: int | None = 5, notice: str | None = None) -> Attachment:
    return Attachment(path=path, content="x\n", size=size, tokens=tokens, notice=notice)


def test_split_args_like_a_shell() -> None:
    assert split_args("a.py 'my file.txt' \"other dir\"/x.md  b\\ c.txt") == [
        "a.py", "my file.txt", "other dir/x.md", "b c.txt"]
    assert split_args("src/**/*.py #not-a-comment") == ["src/**/*.py", "#not-a-comment"]
    with pytest.raises(ValueError):
        split_args("'unclosed")


def test_quote_arg_keeps_plain_paths_plain() -> None:
    assert quote_arg("src/app.py") == "src/app.py"
    assert quote_arg("~/notes-1.md") == "~/notes-1.md"
    assert quote_arg("beta dir/") == "'beta dir/'"
    assert split_args(quote_arg("it's here.txt")) == ["it's here.txt"]


def test_complete_arg(tmp_path: Path) -> None:
    for name in ("alpha_one.txt", "alpha_two.txt"):
        (tmp_path / name).write_text("x")
    (tmp_path / "beta dir").mkdir()
    (tmp_path / "beta dir" / "inner.txt").write_text("x")

    def find(partial: str) -> list[str]:
        return complete_path(partial, tmp_path)

    one = complete_arg("/attach be", find)
    assert one.text == "/attach 'beta dir/'" and one.candidates == ["beta dir/"]
    inside = complete_arg("/attach 'beta dir/'in", find)
    assert inside.text == "/attach 'beta dir/inner.txt' "
    unclosed = complete_arg("/attach x.md 'beta dir/in", find)
    assert unclosed.text == "/attach x.md 'beta dir/inner.txt' "
    several = complete_arg("/attach al", find)
    assert several.text == "/attach alpha_" and several.candidates == ["alpha_one.txt", "alpha_two.txt"]
    same = complete_arg("/attach alpha_", find)
    assert same.text == "/attach alpha_" and len(same.candidates) == 2  # only shows them
    assert complete_arg("/attach zzz", find) is None
    everything = complete_arg("/attach ", find)
    assert set(everything.candidates) == {"alpha_one.txt", "alpha_two.txt", "beta dir/"}


def test_rows_group_large_batches_and_keep_order() -> None:
    book = AttachBook()
    small = [att("a.txt"), att("b.txt")]
    big = [att(f"src/m{i}.py", size=100, tokens=10) for i in range(GROUP_OVER + 2)]
    loose = att("loose.txt", notice="decoded as latin-1")
    book.add(AttachBatch("a.txt b.txt", AttachResult()), small)
    book.add(AttachBatch("src/", AttachResult()), big)
    rows = book.rows(small + [loose] + big)
    assert [r.label for r in rows] == ["a.txt", "b.txt", "loose.txt", "src/"]
    group = rows[-1]
    assert group.files == GROUP_OVER + 2 and group.size == 100 * (GROUP_OVER + 2)
    assert group.tokens == 10 * (GROUP_OVER + 2) and group.group is not None
    assert rows[2].notice == "decoded as latin-1"
    # Down to GROUP_OVER pending files, a batch shows its files again.
    assert [r.label for r in book.rows(big[:GROUP_OVER])] == [a.path for a in big[:GROUP_OVER]]
    group.group.expanded = True
    opened = book.rows(big)
    assert len(opened) == 1 + len(big) and all(r.depth == 1 for r in opened[1:])
    big[0].tokens = None
    assert book.rows(big)[0].tokens is None  # not all counted: no total


def test_book_forgets_dead_attachments() -> None:
    book = AttachBook()
    doomed = att("gone.txt")
    book.add(AttachBatch("gone.txt", AttachResult()), [doomed])
    assert book.batch_of(doomed) is not None
    del doomed
    book.prune()
    assert book._batch_of == {}
    assert book.batch_of(att("gone.txt")) is None  # equal but not the same file


def test_job_progress_counts_files_and_bytes(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x" * 1000)
    (tmp_path / "b.txt").write_text("y" * 24)
    job = AttachJob(["."], tmp_path, AttachLimits(), ".")
    job.progress(256, 0, "a.txt")
    assert job.status() == "scanning .: 256 files found" and job.fraction() is None
    job.progress(0, 2, "a.txt")
    job.progress(1, 2, "b.txt")
    job.progress(2, 2, "")
    assert (job.done, job.total, job.bytes_read) == (2, 2, 1024)
    assert job.status().startswith("reading 2 / 2 files · 1 KB") and job.fraction() == (2, 2)


def test_summaries() -> None:
    assert describe_files(312, 1_258_291, 240_311) == "312 files, 1.2 MB, 240,311 tokens"
    assert describe_files(1, 10, 7, exact=False) == "1 file, 10 bytes, ≈7 tokens"
    result = AttachResult(skipped=[Skipped("a.png", "binary"), Skipped("b.png", "binary"),
                                   Skipped(".env", "hidden")])
    assert skip_lines(result) == ["skipped 3 files: 2 binary, 1 hidden"]
    assert skip_lines(AttachResult()) == []


def test_preview_is_capped_and_safe() -> None:
    long = Attachment(path="big.txt", content="".join(f"line {i}\x1b[2J\n" for i in range(5000)), size=1)
    shown = preview_text(long)
    assert shown.count("\n") == PREVIEW_LINES
    assert "\x1b" not in shown and "␛[2J" in shown
    assert shown.endswith("more lines not shown here (all of it was sent)")
    assert preview_text(Attachment(path="s.txt", content="short\n", size=6)) == "short\n"
