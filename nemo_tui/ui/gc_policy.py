"""Keep Python's full garbage collections out of streaming.

A full (generation 2) collection walks every tracked object — Textual's widgets, styles,
pygments' tables — and took 130–150 ms on a 2-core machine, freezing the view mid-reply.
At quiet moments (startup done, a reply finished) we collect once and freeze what survives,
so later collections only walk what is new.
"""

from __future__ import annotations

import gc


def checkpoint() -> None:
    """Collect everything, then move the survivors out of the collector's way."""
    gc.unfreeze()  # what became garbage since the last checkpoint must be collectable
    gc.collect()
    gc.freeze()


def pause() -> None:
    """While a reply streams: reference counting still frees almost everything at once;
    only cyclic garbage waits for the checkpoint that ends the turn."""
    gc.disable()


def resume() -> None:
    gc.enable()
    checkpoint()
