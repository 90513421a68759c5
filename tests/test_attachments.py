"""Tests for /attach file collection (nemo_tui.core.attachments and attach_read)."""

from __future__ import annotations

import codecs
import errno
import hashlib
import io
import os
from pathlib import Path

import pytest

from nemo_tui.core import attach_read
from nemo_tui.core.attach_read import decode_text, human_size
from nemo_tui.core.attachments import (
    AttachLimits,
    AttachResult,
    collect,
    complete_path,
    parse_gitignore,
    safe_display,
)

MB = 1024 * 1024


def write(path: Path, data: str | bytes = "x\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def paths(result: AttachResult) -> list[str]:
    return [a.path for a in result.attachments]


def reasons(result: AttachResult) -> dict[str, str]:
    return {s.path: s.reason for s in result.skipped}


def one_error(result: AttachResult) -> str:
    assert len(result.errors) == 1, result.errors
    return result.errors[0]


# --- PDFs -----------------------------------------------------------------------------


def text_pdf(pages: list[str]) -> bytes:
    """A minimal hand-written PDF with one Helvetica text line per page and a valid xref."""
    n = len(pages)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n))
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, text in enumerate(pages):
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        objs.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (5 + 2 * i)
        )
        objs.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objs) + 1,
        xref,
    )
    return bytes(out)


def test_pdf_text_with_page_markers(tmp_path: Path) -> None:
    raw = text_pdf(["Hello first page", "Second page here"])
    write(tmp_path / "doc.pdf", raw)
    r = collect(["doc.pdf"], tmp_path)
    assert r.errors == []
    (att,) = r.attachments
    assert att.kind == "pdf" and att.size == len(raw)
    assert att.sha256 == hashlib.sha256(raw).hexdigest()
    assert "--- page 1 ---\nHello first page" in att.content
    assert "--- page 2 ---\nSecond page here" in att.content


def test_pdf_detected_by_magic_without_extension(tmp_path: Path) -> None:
    write(tmp_path / "report", text_pdf(["magic works"]))
    (att,) = collect(["report"], tmp_path).attachments
    assert att.kind == "pdf" and "magic works" in att.content


def test_scanned_pdf_without_text_layer(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    buf = io.BytesIO()
    writer.write(buf)
    write(tmp_path / "scan.pdf", buf.getvalue())
    r = collect(["scan.pdf"], tmp_path)
    assert r.attachments == []
    assert one_error(r) == "scan.pdf has no text layer (scanned?); OCR it first"


def test_encrypted_pdf(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf(["top secret"]))))
    writer.encrypt("hunter2")
    buf = io.BytesIO()
    writer.write(buf)
    write(tmp_path / "locked.pdf", buf.getvalue())
    r = collect(["locked.pdf"], tmp_path)
    assert r.attachments == []
    assert "locked.pdf is encrypted" in one_error(r)


def test_broken_pdf(tmp_path: Path) -> None:
    write(tmp_path / "bad.pdf", b"%PDF-1.4\nthis is not really a pdf\n")
    r = collect(["bad.pdf"], tmp_path)
    assert r.attachments == [] and "bad.pdf" in one_error(r)


# --- encodings and escapes ------------------------------------------------------------

TEXT = "héllo €\r\nwörld\r\n"
EXPECTED = "héllo €\nwörld\n"


@pytest.mark.parametrize(
    "raw",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le-bom", "utf-16-be-bom"],
)
def test_unicode_encodings(tmp_path: Path, raw: bytes) -> None:
    write(tmp_path / "t.txt", raw)
    (att,) = collect(["t.txt"], tmp_path).attachments
    assert att.content == EXPECTED
    assert att.notice is None and att.kind == "text" and att.size == len(raw)


def test_latin1_fallback_sets_notice(tmp_path: Path) -> None:
    write(tmp_path / "old.txt", "café\r\nnaïve\n".encode("latin-1"))
    (att,) = collect(["old.txt"], tmp_path).attachments
    assert att.content == "café\nnaïve\n"
    assert att.notice and att.notice.startswith("not valid UTF-8; decoded as")


def test_decode_never_fails() -> None:
    text, notice = decode_text(bytes(range(1, 256)))  # 0x81 is not cp1252 either
    assert notice == "not valid UTF-8; decoded as latin-1" and len(text) == 255
    assert decode_text(codecs.BOM_UTF16_LE + b"\x00\xd8")[1]  # lone surrogate: replaced


def test_escapes_kept_in_content_and_visible_in_display(tmp_path: Path) -> None:
    raw = "\x1b[31mred\x1b[0m\tok\x07\n\x1b]52;c;ZXZpbA==\x07\x9b2J\x7f\n"
    write(tmp_path / "esc.txt", raw)
    (att,) = collect(["esc.txt"], tmp_path).attachments
    assert att.content == raw
    shown = safe_display(att.content)
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
    assert shown.startswith("␛[31mred␛[0m\tok␇\n␛]52")
    assert "\\x9b2J␡" in shown


def test_nul_after_sniff_window_is_dropped(tmp_path: Path) -> None:
    write(tmp_path / "n.txt", b"a" * 9000 + b"\x00b\n")
    (att,) = collect(["n.txt"], tmp_path).attachments
    assert "\x00" not in att.content and att.content.endswith("ab\n")


def test_empty_file_is_attached(tmp_path: Path) -> None:
    write(tmp_path / "empty.txt", b"")
    (att,) = collect(["empty.txt"], tmp_path).attachments
    assert att.content == "" and att.size == 0


# --- folder walking, .gitignore, skips --------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    p = tmp_path / "proj"
    (p / ".git").mkdir(parents=True)
    write(p / ".git" / "HEAD", "ref: refs/heads/main\n")
    write(
        p / ".gitignore",
        "# comment\n*.log\n!keep.log\n/out/\nsecret/\ndocs/**/draft*.md\ntmp?.txt\n[xy].cfg\n",
    )
    for name in ("main.py", "a.log", "keep.log", "tmp1.txt", "x.cfg", "z.cfg", "b.txt"):
        write(p / name, f"{name}\n")
    write(p / "src" / "a.py", "a\n")
    write(p / "src" / "deep" / "b.py", "b\n")
    write(p / "src" / "x.log", "x\n")
    write(p / "src" / "keep.log", "k\n")
    write(p / "src" / "out" / "o.txt", "not anchored here\n")
    write(p / "src" / "secret" / "s.txt", "s\n")
    write(p / "out" / "o.txt", "o\n")
    write(p / "secret" / "s.txt", "s\n")
    write(p / "docs" / "draft0.md", "d\n")
    write(p / "docs" / "a" / "draft1.md", "d\n")
    write(p / "docs" / "final.md", "f\n")
    write(p / "sub" / ".gitignore", "*.txt\n!important.txt\n")
    write(p / "sub" / "a.txt", "a\n")
    write(p / "sub" / "important.txt", "i\n")
    write(p / "sub" / "deeper" / "c.txt", "c\n")
    write(p / "sub" / "deeper" / "c.md", "c\n")
    write(p / "node_modules" / "lib" / "x.js", "x\n")
    write(p / ".venv" / "pyvenv.cfg", "home = /usr\n")
    write(p / "myenv" / "pyvenv.cfg", "home = /usr\n")
    write(p / "myenv" / "lib.py", "v\n")
    write(p / "env" / "config.py", "not a virtualenv\n")
    write(p / ".hidden.txt", "h\n")
    write(p / ".config" / "c.txt", "h\n")
    write(p / "__pycache__" / "m.cpython-311.pyc", b"\x00\x01")
    write(p / "pkg.egg-info" / "PKG-INFO", "i\n")
    write(p / "dist" / "pkg.tar.gz", b"\x1f\x8b")
    write(p / "img.png", b"\x89PNG\r\n\x1a\n\x00\x00")
    write(p / "data.txt", b"abc\x00def")  # text name, binary content
    return p


def test_folder_walk_skips_and_gitignore(project: Path) -> None:
    r = collect(["."], project)
    assert r.errors == []
    assert paths(r) == [
        "b.txt", "docs/final.md", "env/config.py", "keep.log", "main.py", "src/a.py",
        "src/deep/b.py", "src/keep.log", "src/out/o.txt", "sub/deeper/c.md",
        "sub/important.txt", "z.cfg",
    ]
    skipped = reasons(r)
    gi = "ignored by .gitignore"
    for name in ("a.log", "src/x.log", "out/", "secret/", "src/secret/", "docs/draft0.md",
                 "docs/a/draft1.md", "tmp1.txt", "x.cfg", "sub/a.txt", "sub/deeper/c.txt"):
        assert skipped[name] == gi, name
    assert skipped[".git/"] == "version control"
    assert skipped["node_modules/"] == "node_modules"
    assert skipped[".venv/"] == "virtualenv" and skipped["myenv/"] == "virtualenv"
    assert skipped[".hidden.txt"] == "hidden" and skipped[".config/"] == "hidden"
    assert skipped["__pycache__/"] == "cache folder"
    assert skipped["pkg.egg-info/"] == "build folder" and skipped["dist/"] == "build folder"
    assert skipped["img.png"] == "binary" and skipped["data.txt"] == "binary"
    summary = r.skip_summary()
    assert summary[gi] == 11 and summary["binary"] == 2
    assert list(summary) == sorted(summary, key=summary.__getitem__, reverse=True)


def test_ancestor_gitignore_applies_to_subfolder(project: Path, tmp_path: Path) -> None:
    r = collect(["src"], project)
    assert paths(r) == ["src/a.py", "src/deep/b.py", "src/keep.log", "src/out/o.txt"]
    r = collect(["proj/src/deep", "proj/sub"], tmp_path)  # cwd above the repository
    assert paths(r) == ["proj/src/deep/b.py", "proj/sub/deeper/c.md", "proj/sub/important.txt"]


def test_explicit_files_bypass_hidden_and_gitignore(project: Path) -> None:
    r = collect([".hidden.txt", "a.log", "out", ".config"], project)
    assert paths(r) == [".hidden.txt", "a.log", "out/o.txt", ".config/c.txt"]
    assert r.errors == []


def test_include_hidden_and_no_gitignore(project: Path) -> None:
    r = collect(["sub"], project, AttachLimits(include_hidden=True, use_gitignore=False))
    assert paths(r) == ["sub/.gitignore", "sub/a.txt", "sub/deeper/c.md", "sub/deeper/c.txt",
                        "sub/important.txt"]


def test_parse_gitignore_semantics() -> None:
    def ignored(text: str, rel: str, is_dir: bool = False) -> bool:
        result = False
        for regex, negate, dir_only in parse_gitignore(text):
            if (is_dir or not dir_only) and regex.match(rel):
                result = not negate
        return result

    assert ignored("*.o", "a/b/c.o") and not ignored("/*.o", "a/c.o") and ignored("/*.o", "c.o")
    assert ignored("build/", "x/build", is_dir=True) and not ignored("build/", "x/build")
    assert ignored("a/**/b", "a/b") and ignored("a/**/b", "a/x/y/b")
    assert ignored("a/**", "a/x/y") and not ignored("a/**", "a")
    assert ignored("**/foo", "x/foo") and ignored("f?o", "fxo") and not ignored("f?o", "f/o")
    assert ignored("[!a]b", "cb") and not ignored("[!a]b", "ab")
    assert ignored("\\#x", "#x") and ignored("\\!x", "!x") and not ignored("# x", "# x")
    assert ignored("*.log\n!k.log", "a.log") and not ignored("*.log\n!k.log", "k.log")
    assert ignored("trail   ", "trail") and parse_gitignore("\n  \n/\n") == []


# --- globs --------------------------------------------------------------------------------


def test_globs(project: Path) -> None:
    assert paths(collect(["src/**/*.py"], project)) == ["src/a.py", "src/deep/b.py"]
    assert paths(collect(["*.py"], project)) == ["main.py"]
    r = collect(["**/*.log"], project)
    assert paths(r) == ["keep.log", "src/keep.log"]
    assert reasons(r)["a.log"] == "ignored by .gitignore"
    assert paths(collect(["s?c"], project)) == ["src/a.py", "src/deep/b.py", "src/keep.log",
                                                "src/out/o.txt"]  # a glob naming a folder
    assert paths(collect([".hid*"], project)) == [".hidden.txt"]
    assert paths(collect(["docs/**"], project)) == ["docs/final.md"]


def test_glob_absolute_and_display_outside_cwd(project: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    other.mkdir()
    r = collect([str(project / "docs" / "*.md")], other)
    assert paths(r) == [str(project / "docs" / "final.md")]


def test_empty_glob_match(project: Path) -> None:
    r = collect(["*.nothing"], project)
    assert r.attachments == [] and one_error(r) == "no files match *.nothing"
    r = collect(["missing/*.py"], project)
    assert one_error(r) == "no files match missing/*.py"


def test_tilde_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    write(tmp_path / "notes.md", "n\n")
    cwd = tmp_path / "work"
    cwd.mkdir()
    assert paths(collect(["~/notes.md"], cwd)) == ["~/notes.md"]


# --- bad input ----------------------------------------------------------------------------


def test_nonexistent_path(tmp_path: Path) -> None:
    r = collect(["nope.txt"], tmp_path)
    assert one_error(r) == "nope.txt: no such file or folder"


def test_permission_denied_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = write(tmp_path / "secret.txt", "s\n")
    real_open = os.open

    def fake_open(path, flags, *args):  # root ignores chmod, so simulate EACCES
        if str(path) == str(target):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(attach_read.os, "open", fake_open)
    assert one_error(collect(["secret.txt"], tmp_path)) == "secret.txt: permission denied"


def test_unreadable_subfolder_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "d" / "ok.txt")
    write(tmp_path / "d" / "locked" / "x.txt")
    real_scandir = os.scandir

    def fake_scandir(path="."):
        if str(path).endswith("locked"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", fake_scandir)
    r = collect(["d"], tmp_path)
    assert paths(r) == ["d/ok.txt"] and reasons(r) == {"d/locked": "unreadable"}


def test_folder_without_text_files(tmp_path: Path) -> None:
    write(tmp_path / "pics" / "a.png", b"\x89PNG")
    write(tmp_path / "pics" / ".thumbs", "x")
    r = collect(["pics"], tmp_path)
    assert r.attachments == []
    assert one_error(r) == "pics: no text files to attach (2 skipped: 1 hidden, 1 binary)"
    (tmp_path / "empty").mkdir()
    assert one_error(collect(["empty"], tmp_path)) == "empty: the folder is empty"


def test_binary_named_explicitly(tmp_path: Path) -> None:
    write(tmp_path / "logo.png", b"\x89PNG\r\n\x1a\n")
    write(tmp_path / "blob.txt", b"\x00\x01\x02")
    r = collect(["logo.png", "blob.txt"], tmp_path)
    assert r.attachments == []
    assert r.errors == ["logo.png is a binary file; not attached",
                        "blob.txt is a binary file; not attached"]


def test_fifo_and_device_are_never_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    write(tmp_path / "dir" / "ok.txt")
    os.mkfifo(tmp_path / "dir" / "pipe2")
    r = collect(["pipe", "/dev/null", "dir"], tmp_path)  # would hang if the FIFO were opened
    assert r.errors == ["pipe is a named pipe (FIFO); not attached",
                        "/dev/null is a device file; not attached"]
    assert paths(r) == ["dir/ok.txt"] and reasons(r) == {"dir/pipe2": "not a regular file"}


def test_symlinks(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside.txt", "outside\n")
    d = tmp_path / "d"
    write(d / "real.txt", "real\n")
    os.symlink("loop_b", d / "loop_a")
    os.symlink("loop_a", d / "loop_b")
    os.symlink(d, d / "self")  # a folder cycle
    os.symlink(outside, d / "out_link.txt")
    os.symlink("real.txt", d / "alias.txt")  # same file twice
    os.symlink("missing", d / "dangling")
    r = collect(["d"], tmp_path)
    assert paths(r) == ["d/alias.txt"]
    skipped = reasons(r)
    assert skipped["d/self/"] == "symlinked folder (not followed)"
    assert skipped["d/out_link.txt"] == "symlink points outside the folder"
    assert skipped["d/loop_a"] == "broken symlink" and skipped["d/dangling"] == "broken symlink"
    assert skipped["d/real.txt"] == "duplicate"
    assert r.errors == []
    r = collect(["d/loop_a", "d/dangling", "d/out_link.txt"], tmp_path)
    assert r.errors == ["d/loop_a: symlink loop (links point at each other)",
                        "d/dangling: broken symlink (its target does not exist)"]
    assert paths(r) == ["d/out_link.txt"]  # a file symlink named explicitly is followed


def test_huge_sparse_file_is_refused_without_reading(tmp_path: Path) -> None:
    with open(tmp_path / "huge.log", "wb") as fh:
        fh.truncate(2 * 1024**3)
    r = collect(["huge.log"], tmp_path)
    assert one_error(r) == "huge.log is 2 GB, over the 20 MB limit"
    write(tmp_path / "d" / "small.txt")
    os.rename(tmp_path / "huge.log", tmp_path / "d" / "huge.log")
    r = collect(["d"], tmp_path)
    assert paths(r) == ["d/small.txt"] and reasons(r) == {"d/huge.log": "too large"}


def test_ten_thousand_files_stop_at_limit(tmp_path: Path) -> None:
    many = tmp_path / "many"
    many.mkdir()
    for i in range(10_000):
        fd = os.open(many / f"f{i:05d}.txt", os.O_WRONLY | os.O_CREAT)
        os.write(fd, b"x\n")
        os.close(fd)
    calls: list[tuple[int, int, str]] = []
    r = collect(["many"], tmp_path, progress=lambda *a: calls.append(a))
    assert len(r.attachments) == 2000
    assert r.attachments[0].path == "many/f00000.txt"
    assert r.attachments[-1].path == "many/f01999.txt"
    assert one_error(r) == "stopped at 2,000 of 10,000 files (the limit is 2,000 per /attach)"
    assert any(total == 0 for _, total, _ in calls)  # scanning progress
    r = collect(["many"], tmp_path, AttachLimits(max_files=10))
    assert len(r.attachments) == 10
    assert one_error(r) == "stopped at 10 of 100+ files (the limit is 10 per /attach)"


def test_total_limit_per_attach_call(tmp_path: Path) -> None:
    for name in ("a.txt", "b.txt", "c.txt"):
        write(tmp_path / "d" / name, "x" * 399 + "\n")
    write(tmp_path / "d" / "small.txt", "tiny\n")
    r = collect(["d"], tmp_path, AttachLimits(max_bytes_per_attach=1000))
    assert paths(r) == ["d/a.txt", "d/b.txt", "d/small.txt"]
    assert reasons(r) == {"d/c.txt": "attach limit (1000 bytes) reached"}
    assert r.errors == ["attach limit (1000 bytes) reached: 1 file not attached"]
    assert AttachLimits().file_bytes == 20 * MB and human_size(20 * MB) == "20 MB"


def test_path_with_nul_is_an_error_not_an_exception(tmp_path: Path) -> None:
    write(tmp_path / "ok.txt")
    r = collect(["bad\x00name", "ok.txt"], tmp_path)
    assert paths(r) == ["ok.txt"] and len(r.errors) == 1


def test_duplicate_arguments_attach_once(project: Path) -> None:
    r = collect(["src", "src/a.py", "src/*.py"], project)
    assert paths(r) == ["src/a.py", "src/deep/b.py", "src/keep.log", "src/out/o.txt"]
    assert r.errors == []


# --- progress and cancellation --------------------------------------------------------------


def test_progress_callback(tmp_path: Path) -> None:
    for i in range(3):
        write(tmp_path / f"f{i}.txt")
    calls: list[tuple[int, int, str]] = []
    collect(["."], tmp_path, progress=lambda *a: calls.append(a))
    assert calls == [(0, 3, "f0.txt"), (1, 3, "f1.txt"), (2, 3, "f2.txt"), (3, 3, "")]


def test_cancellation_stops_early(tmp_path: Path) -> None:
    for i in range(20):
        write(tmp_path / f"f{i:02d}.txt")
    calls: list[tuple[int, int, str]] = []
    r = collect(["."], tmp_path, progress=lambda *a: calls.append(a),
                cancelled=lambda: len(calls) >= 5)
    assert r.cancelled and "attach cancelled" in r.errors
    assert len(r.attachments) == 5 and len(calls) == 5
    r = collect(["."], tmp_path, cancelled=lambda: True)  # during the scan
    assert r.cancelled and r.attachments == []


# --- completion -------------------------------------------------------------------------------


def test_complete_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "setup.py")
    write(tmp_path / "src" / "main.py")
    write(tmp_path / "src" / "model.py")
    write(tmp_path / ".env")
    (tmp_path / ".cache").mkdir()
    assert complete_path("s", tmp_path) == ["setup.py", "src/"]
    assert complete_path("", tmp_path) == ["setup.py", "src/"]
    assert complete_path(".", tmp_path) == [".cache/", ".env"]
    assert complete_path("src/m", tmp_path) == ["src/main.py", "src/model.py"]
    assert complete_path("src/mo", tmp_path) == ["src/model.py"]
    assert complete_path("nope/x", tmp_path) == []
    assert complete_path(str(tmp_path / "se"), Path("/")) == [str(tmp_path / "setup.py")]
    monkeypatch.setenv("HOME", str(tmp_path))
    assert complete_path("~/sr", Path("/")) == ["~/src/"]
