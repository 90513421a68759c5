"""`nemo-tui tokens FILE... [--model NAME] [--num-ctx N]`: exact token counts, offline.

Counts each file as /attach would send it (its delimited block) and the total as one user
message, then says whether it fits. Exit status 1 when it does not fit, 2 on bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nemo_tui.core.attachments import collect
from nemo_tui.core.context import parse_ctx
from nemo_tui.core.conversation import Message
from nemo_tui.core.tokens import counter_for


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="nemo-tui tokens",
        description="Print the exact token count of files as nemo-tui would send them. "
        "Works with no Ollama running.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="files, directories or globs")
    p.add_argument("--model", default="mistral-nemo", help="whose tokenizer counts (default mistral-nemo)")
    p.add_argument("--num-ctx", dest="num_ctx", help="context window to check against (e.g. 32k)")
    p.add_argument("--reserve", type=int, default=1024, help="tokens kept for the reply (default 1024)")
    return p


def main(args: list[str]) -> int:
    ns = parser().parse_args(args)
    num_ctx = None
    if ns.num_ctx:
        try:
            num_ctx = parse_ctx(ns.num_ctx)
        except ValueError as exc:
            print(f"nemo-tui tokens: --num-ctx {ns.num_ctx}: {exc}", file=sys.stderr)
            return 2
    result = collect(ns.files, Path.cwd())
    for error in result.errors:
        print(f"error: {error}", file=sys.stderr)
    for reason, count in result.skip_summary().items():
        print(f"skipped {count} file{'s' if count != 1 else ''}: {reason}", file=sys.stderr)
    if not result.attachments:
        print("nemo-tui tokens: nothing to count", file=sys.stderr)
        return 2
    counter = counter_for(ns.model)
    counter.load()
    mark = "" if counter.exact else "≈"
    width = max(len(a.path) for a in result.attachments)
    for attachment in result.attachments:
        tokens = counter.count_text(attachment.render())
        note = f"  ({attachment.notice})" if attachment.notice else ""
        print(f"{attachment.path:<{width}}  {mark}{tokens:>10,}{note}")
    request = [Message("user", "", attachments=result.attachments)]
    total = counter.count_request([{"role": "user", "content": request[0].request_content()}])
    print(f"{'total (as one message)':<{width}}  {mark}{total:>10,}")
    print(f"tokenizer: {counter.spec.label} for {ns.model}")
    if num_ctx is None:
        return 0
    needed = total + ns.reserve
    if needed <= num_ctx:
        print(f"fits: {needed:,} of {num_ctx:,} with a {ns.reserve:,}-token reply reserve")
        return 0
    print(f"does NOT fit: {needed:,} > {num_ctx:,} (over by {needed - num_ctx:,}, reply reserve included)")
    return 1
