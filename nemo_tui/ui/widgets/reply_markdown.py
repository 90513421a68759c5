"""Markdown for chat messages: lists of plain items are drawn by one widget, not four per item.

Textual builds each list item from a Horizontal, a bullet, a Vertical and a paragraph; a
50-item answer then adds 200 widgets that every later frame lays out again while a reply
streams. A list whose items are each a single paragraph (the common case) is drawn here as
one block with hanging indents; anything richer (nested lists, code in items) falls back to
Textual's own rendering.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Markdown
from textual.widgets._markdown import (
    MarkdownBulletList,
    MarkdownListItem,
    MarkdownOrderedList,
    MarkdownParagraph,
)

BULLET_STYLE = "$text-primary"


class _CompactList:
    _items: list[tuple[str, Content]] | None = None

    def _item_symbols(self, items: list[MarkdownListItem]) -> list[str]:
        raise NotImplementedError

    def compose(self):  # type: ignore[override]
        items = [b for b in self._blocks if isinstance(b, MarkdownListItem)]
        simple = items and len(items) == len(self._blocks) and all(
            len(item._blocks) == 1 and isinstance(item._blocks[0], MarkdownParagraph)
            for item in items
        )
        if not simple:
            yield from super().compose()  # type: ignore[misc]
            return
        symbols = self._item_symbols(items)
        self._items = [(s, item._blocks[0]._content) for s, item in zip(symbols, items)]
        self._blocks.clear()

    def _lines(self, width: int) -> list[Content]:
        lines: list[Content] = []
        for symbol, content in self._items or ():
            indent = len(symbol)
            wrapped = content.wrap(max(1, width - indent)) or [Content("")]
            lines.append(Content.styled(symbol, BULLET_STYLE) + wrapped[0])
            lines.extend(Content(" " * indent) + line for line in wrapped[1:])
        return lines

    def render(self):  # type: ignore[override]
        if self._items is None:
            return super().render()  # type: ignore[misc]
        return Content("\n").join(self._lines(self.content_region.width or 80))  # type: ignore[attr-defined]

    def get_content_height(self, container, viewport, width: int) -> int:  # type: ignore[override]
        if self._items is None:
            return super().get_content_height(container, viewport, width)  # type: ignore[misc]
        return len(self._lines(width))


class CompactBulletList(_CompactList, MarkdownBulletList):
    def _item_symbols(self, items: list[MarkdownListItem]) -> list[str]:
        return [item.bullet for item in items]


class CompactOrderedList(_CompactList, MarkdownOrderedList):
    def _item_symbols(self, items: list[MarkdownListItem]) -> list[str]:
        try:
            start = int(items[0].bullet)
        except (ValueError, IndexError):
            start = 1
        labels = [f"{n}. " for n in range(start, start + len(items))]
        width = max(len(label) for label in labels)
        return [label.rjust(width) for label in labels]


class ReplyMarkdown(Markdown):
    BLOCKS = {
        **Markdown.BLOCKS,
        "bullet_list_open": CompactBulletList,
        "ordered_list_open": CompactOrderedList,
    }
