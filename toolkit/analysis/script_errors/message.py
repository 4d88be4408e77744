"""Torch's scripting error text, parsed: the headline, and each source frame it quotes.

Why: TorchScript's compiler errors are plain text. The innermost frame comes first (the line it
could not compile, marked ``~~~ <--- HERE``), then one frame per caller ("'helper' is being
compiled since it was called from 'Net.forward'"). Every other module of this package reads
the parsed form, never the raw text, so the format is understood in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["QuotedFrame", "TorchMessage", "parse_message"]

_FRAME_HEADER = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)\s*$')
_MARKER = re.compile(r"^\s*~+\s*(<--- HERE)?\s*$")
_CALLED_FROM = re.compile(r"^'(?P<callee>[^']+)' is being compiled since it was called from '(?P<caller>[^']+)'")


@dataclass(frozen=True)
class QuotedFrame:
    """One source location torch quotes.

    Attributes:
        file, line: as torch wrote them (the line of the first marked code line).
        marked_text: that code line, stripped (``None`` when torch quoted no marker).
        context: the quoted code lines, markers removed, in order.
        callee: for a caller frame, what was being compiled when it called (``'helper'``).
    """

    file: str
    line: int
    marked_text: str | None
    context: tuple[str, ...]
    callee: str | None = None


@dataclass(frozen=True)
class TorchMessage:
    """Torch's message, split.

    Attributes:
        text: the whole message, stripped.
        headline: what torch says is wrong (the text before the first frame), on one line.
        frames: innermost first.
    """

    text: str
    headline: str
    frames: tuple[QuotedFrame, ...]


def parse_message(text: str) -> TorchMessage:
    """Split a scripting error's text into its headline and its quoted frames (never raises)."""
    text = text.strip()
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if _FRAME_HEADER.match(line)]
    head_end = starts[0] if starts else len(lines)
    headline = " ".join(line.strip() for line in lines[:head_end] if line.strip())
    headline = headline.rstrip(":").strip()
    frames = []
    callee = None
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        header = _FRAME_HEADER.match(lines[start])
        assert header is not None
        body = lines[start + 1 : end]
        next_callee = None
        code: list[str] = []
        marked: str | None = None
        for i, line in enumerate(body):
            called = _CALLED_FROM.match(line.strip())
            if called:
                next_callee = called.group("callee")
                break
            if _MARKER.match(line):
                if marked is None and code:
                    marked = code[-1].strip()
                continue
            code.append(line)
        frames.append(
            QuotedFrame(
                file=header.group("file"),
                line=int(header.group("line")),
                marked_text=marked,
                context=tuple(code),
                callee=callee,
            )
        )
        callee = next_callee
    return TorchMessage(text=text, headline=headline or (lines[0].strip() if lines else ""), frames=tuple(frames))
