"""The compressed path strings of LoRR 2026 results: segments of run-length actions.

A path is one segment per ``segment`` ticks: ``[(t,row,col,ori,counter):(A d,A d,...)]``,
segments concatenated with no separator. ``t`` is the segment's first tick, then the
robot's state before that tick (row, column, orientation 0-3, counter), then the actions
of its ticks as (letter, repeat count) pairs: ``F`` forward, ``R`` / ``C`` quarter turn
clockwise / counter-clockwise, ``W`` wait, ``T`` no action (an executor out of time).
"""

from __future__ import annotations

import re

__all__ = ["decode_path", "encode_path"]

_SEGMENT = re.compile(r"\[\((\d+),(\d+),(\d+),(\d+),(\d+)\):\(([^)]*)\)\]")
_PAIR = re.compile(r"([FRCWT]) (\d+)")


def encode_path(letters: str, snapshots: list[tuple[int, int, int, int]], segment: int) -> str:
    """One robot's path string.

    Args:
        letters: one action letter per tick.
        snapshots: the robot's state (row, col, orientation, counter) before the first
            tick of each segment (one per segment; more are ignored).
        segment: ticks per segment.
    """
    if segment < 1:
        raise ValueError(f"segment must be >= 1 tick, got {segment}")
    out = []
    for k in range(max(1, -(-len(letters) // segment))):
        row, col, ori, counter = snapshots[k]
        chunk = letters[k * segment : (k + 1) * segment]
        runs = []
        i = 0
        while i < len(chunk):
            j = i
            while j < len(chunk) and chunk[j] == chunk[i]:
                j += 1
            runs.append(f"{chunk[i]} {j - i}")
            i = j
        out.append(f"[({k * segment},{row},{col},{ori},{counter}):({','.join(runs)})]")
    return "".join(out)


def decode_path(text: str) -> tuple[list[tuple[int, int, int, int, int]], str]:
    """The segments' headers (t, row, col, orientation, counter) and every tick's letter.

    Raises:
        ValueError: the text is not a sequence of well-formed segments.
    """
    headers: list[tuple[int, int, int, int, int]] = []
    letters: list[str] = []
    pos = 0
    for m in _SEGMENT.finditer(text):
        if m.start() != pos:
            raise ValueError(f"unexpected text at character {pos}: {text[pos : pos + 30]!r}")
        pos = m.end()
        headers.append(tuple(int(g) for g in m.groups()[:5]))  # type: ignore[arg-type]
        body = m.group(6)
        if body:
            for pair in body.split(","):
                p = _PAIR.fullmatch(pair)
                if p is None:
                    raise ValueError(f"segment {len(headers) - 1}: bad action run {pair!r}")
                letters.append(p.group(1) * int(p.group(2)))
    if pos != len(text):
        raise ValueError(f"unexpected text at character {pos}: {text[pos : pos + 30]!r}")
    return headers, "".join(letters)
