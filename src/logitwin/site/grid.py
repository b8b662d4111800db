"""An immutable 4-connected occupancy grid with MovingAI / LoRR tile characters.

Cells are addressed by a linearised id ``row * width + col`` (the LoRR convention);
row 0 is the top (north) row of the map file and col 0 its left (west) column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from logitwin.errors import SiteError

__all__ = ["BLOCKED_CHARS", "FREE_CHARS", "Grid"]

#: Map characters a robot may stand on: MovingAI ``.``/``G``, LoRR emitter ``E`` and service ``S``.
FREE_CHARS = ".GES"
#: Map characters that are obstacles: MovingAI ``@``/``O``/``T``/``W``.
BLOCKED_CHARS = "@OTW"

_FREE_LUT = np.zeros(256, dtype=bool)
_FREE_LUT[np.frombuffer(FREE_CHARS.encode("ascii"), dtype=np.uint8)] = True
_KNOWN_LUT = _FREE_LUT.copy()
_KNOWN_LUT[np.frombuffer(BLOCKED_CHARS.encode("ascii"), dtype=np.uint8)] = True


def _frozen(array: np.ndarray, dtype: type[Any]) -> np.ndarray:
    out = np.array(array, dtype=dtype, copy=True)
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False, repr=False)
class Grid:
    """A rectangular 4-connected grid map.

    Attributes:
        width: Number of columns (cells).
        height: Number of rows (cells).
        free: Read-only bool array, shape ``(height, width)``; True where a robot may stand.
        name: Free-form label, usually the map file's stem.
        tiles: Read-only uint8 array, shape ``(height, width)``, of the raw map characters as
            ASCII codes (``chr(tiles[r, c])``). When omitted it is derived from ``free``
            (``.`` free, ``@`` blocked).

    Raises:
        SiteError: If the sizes are not positive, the arrays have the wrong shape, or
            ``tiles`` holds characters that disagree with ``free``.
    """

    width: int
    height: int
    free: np.ndarray
    name: str = ""
    tiles: np.ndarray = field(default=None)  # type: ignore[arg-type]

    def __post_init__(self) -> None:
        label = f"grid {self.name!r}" if self.name else "grid"
        if int(self.width) < 1 or int(self.height) < 1:
            raise SiteError(
                f"{label}: width and height must be >= 1, got {self.width}x{self.height}"
            )
        object.__setattr__(self, "width", int(self.width))
        object.__setattr__(self, "height", int(self.height))
        shape = (self.height, self.width)
        free = np.asarray(self.free)
        if free.shape != shape:
            raise SiteError(
                f"{label}: free has shape {free.shape}, expected (height, width)={shape}"
            )
        object.__setattr__(self, "free", _frozen(free, bool))
        if self.tiles is None:
            codes = np.where(self.free, ord("."), ord("@")).astype(np.uint8)
        else:
            codes = np.asarray(self.tiles)
            if codes.dtype.kind == "U":
                if codes.dtype.itemsize != np.dtype("<U1").itemsize:
                    raise SiteError(
                        f"{label}: string tiles must have dtype '<U1', got {codes.dtype}"
                    )
                codes = np.vectorize(ord, otypes=[np.int64])(codes)
            if codes.shape != shape:
                raise SiteError(
                    f"{label}: tiles has shape {codes.shape}, expected (height, width)={shape}"
                )
            codes = np.asarray(codes, dtype=np.int64)
            if codes.min() < 0 or codes.max() > 255 or not _KNOWN_LUT[codes].all():
                raise SiteError(
                    f"{label}: tiles must be map characters from {FREE_CHARS + BLOCKED_CHARS!r}"
                )
            if not np.array_equal(_FREE_LUT[codes], self.free):
                r, c = np.argwhere(_FREE_LUT[codes] != self.free)[0]
                raise SiteError(
                    f"{label}: tiles and free disagree at row {r}, col {c} "
                    f"(tile {chr(int(codes[r, c]))!r}, free={bool(self.free[r, c])})"
                )
        object.__setattr__(self, "tiles", _frozen(codes, np.uint8))

    @classmethod
    def from_strings(cls, rows: Sequence[str], name: str = "") -> Grid:
        """Builds a grid from map rows using the MovingAI / LoRR character rules.

        Args:
            rows: One string per map row, north first; all the same length.
            name: Label for the grid.

        Returns:
            The grid.

        Raises:
            SiteError: If there are no rows, the rows differ in length, or a character is
                not one of ``.GES`` (free) or ``@OTW`` (blocked); the message names the
                row, column and character.
        """
        return _parse_rows(rows, name)

    # -- geometry ---------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Number of cells, ``width * height``."""
        return self.width * self.height

    def cell(self, row: int, col: int) -> int:
        """Returns the linearised id of cell (row, col).

        Raises:
            SiteError: If (row, col) is outside the grid.
        """
        if not (0 <= row < self.height and 0 <= col < self.width):
            raise SiteError(
                f"({row}, {col}) is outside the {self.height}x{self.width} (rows x cols) grid"
            )
        return int(row) * self.width + int(col)

    def rc(self, cell: int) -> tuple[int, int]:
        """Returns the (row, col) of a linearised cell id.

        Raises:
            SiteError: If the id is not in ``[0, size)``.
        """
        if not 0 <= cell < self.size:
            raise SiteError(f"cell {cell} is outside [0, {self.size}) for this grid")
        r, c = divmod(int(cell), self.width)
        return r, c

    def is_free(self, cell: int) -> bool:
        """True if ``cell`` is inside the grid and not an obstacle."""
        if not 0 <= cell < self.size:
            return False
        return bool(self._free_flat[cell])

    def tile(self, cell: int) -> str:
        """Returns the raw map character of a cell (``'.'``, ``'@'``, ``'E'``, ...)."""
        r, c = self.rc(cell)
        return chr(int(self.tiles[r, c]))

    def describe(self, cell: int) -> str:
        """Returns ``"cell 37 (row 1, col 5)"`` for messages; out-of-range ids are marked."""
        if 0 <= cell < self.size:
            r, c = divmod(int(cell), self.width)
            return f"cell {cell} (row {r}, col {c})"
        return f"cell {cell} (outside [0, {self.size}))"

    # -- cached views -------------------------------------------------------------------------

    @cached_property
    def _free_flat(self) -> np.ndarray:
        return self.free.reshape(-1)

    @cached_property
    def free_cells(self) -> np.ndarray:
        """Read-only int64 array of the free cell ids, ascending."""
        out = np.flatnonzero(self.free).astype(np.int64)
        out.flags.writeable = False
        return out

    @cached_property
    def neighbors(self) -> list[tuple[int, ...]]:
        """4-connected free neighbours of every cell, indexed by cell id.

        Order is east, south, west, north; blocked cells get ``()``. Plain Python ints so
        that planners can iterate it in hot loops.
        """
        table = self.neighbor_table
        out: list[tuple[int, ...]] = [()] * self.size
        rows = table[self.free_cells].tolist()
        for cell, row in zip(self.free_cells.tolist(), rows, strict=True):
            out[cell] = tuple(v for v in row if v >= 0)
        return out

    @cached_property
    def neighbor_table(self) -> np.ndarray:
        """Read-only int64 array, shape ``(size, 4)``: free neighbour ids east, south, west,
        north, or -1 where there is none (edge, obstacle, or the cell itself is blocked)."""
        h, w = self.height, self.width
        ids = np.arange(self.size, dtype=np.int64).reshape(h, w)
        free = self.free
        table = np.full((h, w, 4), -1, dtype=np.int64)
        table[:, :-1, 0] = np.where(free[:, :-1] & free[:, 1:], ids[:, 1:], -1)  # east
        table[:-1, :, 1] = np.where(free[:-1, :] & free[1:, :], ids[1:, :], -1)  # south
        table[:, 1:, 2] = np.where(free[:, 1:] & free[:, :-1], ids[:, :-1], -1)  # west
        table[1:, :, 3] = np.where(free[1:, :] & free[:-1, :], ids[:-1, :], -1)  # north
        out = table.reshape(self.size, 4)
        out.flags.writeable = False
        return out

    # -- value semantics ----------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Grid):
            return NotImplemented
        return (
            self.width == other.width
            and self.height == other.height
            and self.name == other.name
            and np.array_equal(self.tiles, other.tiles)
        )

    def __hash__(self) -> int:
        return hash((self.width, self.height, self.name, self.tiles.tobytes()))

    def __repr__(self) -> str:
        return (
            f"Grid(name={self.name!r}, width={self.width}, height={self.height}, "
            f"free_cells={int(self.free.sum())})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuild through __init__ so that unpickled arrays are read-only again.
        return (Grid, (self.width, self.height, self.free, self.name, self.tiles))

    def to_strings(self) -> list[str]:
        """Returns the map rows as strings (the inverse of :meth:`from_strings`)."""
        return [bytes(row).decode("ascii") for row in self.tiles]


def _parse_rows(
    rows: Sequence[str], name: str = "", source: str = "", first_line: int | None = None
) -> Grid:
    """Parses map rows; ``source``/``first_line`` let file loaders name the file line."""

    def where(r: int) -> str:
        prefix = f"{source}: " if source else ""
        if first_line is not None:
            return f"{prefix}line {first_line + r}, row {r}"
        return f"{prefix}row {r}"

    if isinstance(rows, str):
        raise SiteError("map rows must be a sequence of strings, got a single string")
    if len(rows) == 0:
        raise SiteError(f"{source + ': ' if source else ''}map has no rows; add at least one row")
    width = len(rows[0])
    if width == 0:
        raise SiteError(f"{where(0)}: map row is empty; rows need at least one character")
    for r, row in enumerate(rows):
        if len(row) != width:
            raise SiteError(
                f"{where(r)}: row has {len(row)} characters but row 0 has {width}; "
                "all map rows must be the same width"
            )
    text = "".join(rows)
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError as exc:
        r, c = divmod(exc.start, width)
        raise SiteError(
            f"{where(r)}, col {c}: unknown map character {text[exc.start]!r}; "
            f"use {FREE_CHARS!r} for free and {BLOCKED_CHARS!r} for blocked cells"
        ) from None
    codes = np.frombuffer(raw, dtype=np.uint8).reshape(len(rows), width)
    known = _KNOWN_LUT[codes]
    if not known.all():
        r, c = (int(v) for v in np.argwhere(~known)[0])
        raise SiteError(
            f"{where(r)}, col {c}: unknown map character {chr(int(codes[r, c]))!r}; "
            f"use {FREE_CHARS!r} for free and {BLOCKED_CHARS!r} for blocked cells"
        )
    return Grid(width=width, height=len(rows), free=_FREE_LUT[codes], name=name, tiles=codes)
