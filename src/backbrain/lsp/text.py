"""A document's text as lines, with positions converted to and from the client's units.

The core counts lines from 1 and never columns; the protocol counts both from 0, columns in the
encoding the client and server agreed on (UTF-16 unless the client offers another). Everything
inside the server works in Python characters; this module is the only place that converts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

_DEFAULT_CODEC = PositionCodec()


@dataclass
class Text:
    """One document's text split into lines (without their line endings)."""

    source: str
    codec: PositionCodec = field(default=_DEFAULT_CODEC, repr=False)
    lines: list[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.lines = [line.removesuffix("\r") for line in self.source.split("\n")]

    def line(self, index: int) -> str:
        """Line `index` (0-based) without its line ending; '' past the end."""
        return self.lines[index] if 0 <= index < len(self.lines) else ""

    def position(self, line: int, column: int) -> types.Position:
        """A protocol position from a 0-based line and a column in characters."""
        text = self.line(line)
        return types.Position(line=max(line, 0), character=self.codec.client_num_units(text[: max(column, 0)]))

    def range(self, line: int, start: int, end: int | None = None) -> types.Range:
        """A range on one line; `end` None means the end of the line."""
        stop = len(self.line(line)) if end is None else end
        return types.Range(start=self.position(line, start), end=self.position(line, stop))

    def span(self, start_line: int, end_line: int) -> types.Range:
        """Whole lines start_line..end_line (inclusive, 0-based)."""
        return types.Range(start=self.position(start_line, 0), end=self.position(end_line, len(self.line(end_line))))

    def column(self, position: types.Position) -> int:
        """The column in characters of a protocol position on its line."""
        line = self.line(position.line)
        converted = self.codec.position_from_client_units([line], types.Position(line=0, character=position.character))
        return min(converted.character, len(line))
