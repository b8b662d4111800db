"""The staging executor of the 2026 rules: adopted plans released tick by tick, in plan
order per cell, whatever the delays.

Each cell has a line of the robots that will hold it. A robot holds the cells its square
lies in (:class:`~logitwin.mapf.blocks.Blocks`: one cell for ``size <= 1``, a block of
``ceil(size)``-by-``ceil(size)`` cells above); a forward move takes the cells it leads
into when it starts and gives up those it trails when it ends. A robot starts a move
when it heads the line of every cell the move leads into, or, for robots of one cell, in
a straight train behind the robot standing in the cell ahead (:meth:`commands`).

The lines and each robot's staged actions are numpy arrays worked on by compiled kernels
(numba): staging a plan for 2,500 robots took 50-145 ms in Python on an Intel Xeon,
against the start kit's 100 ms budget (``docs/architecture.md``). A line is a row of
``_line`` read from ``_lhead`` for ``_llen`` entries; a robot's staged actions are a row
of ``_staged`` read the same way, each action coded ``a + 4 * (cell + 1)`` (``a``: ``F``,
``R`` or ``C``; ``cell``: the cell a forward move enters, -1 for a turn). Rows grow
(the array is reallocated, twice as wide) when one is full.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numba import njit

from logitwin.mapf.blocks import cells_across
from logitwin.mapf.footprint import FleetState

__all__ = ["StagingExecutor"]

F, R, C, W, NA = 0, 1, 2, 3, 4
_DX = np.array((1, 0, -1, 0), dtype=np.int64)
_DY = np.array((0, 1, 0, -1), dtype=np.int64)
_I64 = np.int64


class StagingExecutor:
    """Stages adopted plans and releases them tick by tick in plan order per cell.

    Args:
        starts: each robot's cell.
        width: the map's width (cells).
        height: the map's height (cells).
        k: ticks per action (``agentCounter``).
        size: the footprint's side (``agentSize``).
    """

    def __init__(
        self, starts: Sequence[int], width: int, height: int, k: int = 1, size: float = 1.0
    ) -> None:
        n = len(starts)
        if width < 1 or height < 1:
            raise ValueError(f"the map must have cells, got {width}x{height}")
        bad = [a for a in starts if not 0 <= a < width * height]
        if bad:
            raise ValueError(f"start cells {bad[:5]} are off the {width}x{height} map")
        _warm_up()
        self._width, self._height = width, height
        self.k = k
        self._m = cells_across(size)
        # Ticks of motion between two robots' corners at which the one behind may move on:
        # the footprint's side plus one tick (K ticks a cell), and a cell plus one tick
        # for smaller robots: the one behind must not arrive before the one ahead has
        # left (it would leave the cell's line out of its turn after it).
        self._clear = max(math.ceil(size * k - 1e-9), k) + 1
        self._staged = np.zeros((n, 16), dtype=_I64)
        self._shead = np.zeros(n, dtype=_I64)
        self._slen = np.zeros(n, dtype=_I64)
        self._line = np.zeros((width * height, 8), dtype=_I64)
        self._lhead = np.zeros(width * height, dtype=_I64)
        self._llen = np.zeros(width * height, dtype=_I64)
        self._pred_loc = np.array(starts, dtype=_I64)
        self._pred_ori = np.zeros(n, dtype=_I64)
        self._line = _hold(self._pred_loc, self._line, self._lhead, self._llen, *self._dims)

    @property
    def _dims(self) -> tuple[int, int, int]:
        return self._width, self._height, self._m

    @property
    def pred_loc(self) -> list[int]:
        """Each robot's cell once everything staged is executed."""
        return self._pred_loc.tolist()  # type: ignore[no-any-return]

    @pred_loc.setter
    def pred_loc(self, cells: Sequence[int]) -> None:
        self._pred_loc = np.array(cells, dtype=_I64)

    @property
    def pred_ori(self) -> list[int]:
        """Each robot's orientation once everything staged is executed."""
        return self._pred_ori.tolist()

    @pred_ori.setter
    def pred_ori(self, orientations: Sequence[int]) -> None:
        self._pred_ori = np.array(orientations, dtype=_I64)

    def stage(
        self, actions: Sequence[Sequence[int]], state: FleetState | None = None, window: int = 0
    ) -> None:
        """Append a plan (each robot's action codes, step by step, from its predicted
        state): its moves join each cell's line in step order, after earlier plans'.

        With ``state`` (the robots' actual states) and a ``window``, what is staged is
        then cut to what a dry run from ``state`` executes in ``window`` actions (a robot
        waits in it while it is not first in line for the cell ahead), and the lines are
        rebuilt in the dry run's order: a robot held up does not keep far-off cells
        booked, and the next plan starts where robots can really be.
        """
        n = len(self._slen)
        if len(actions) != n:
            raise ValueError(f"a plan for {len(actions)} robots, the executor has {n}")
        lengths = [len(a) for a in actions]
        steps = max(lengths, default=0)
        if all(x == steps for x in lengths):
            plan = np.array(actions, dtype=_I64).reshape(n, steps)
        else:
            plan = np.full((n, steps), W, dtype=_I64)
            for i, a in enumerate(actions):
                plan[i, : len(a)] = a
        self._staged, self._line, off = _append(
            plan, self._staged, self._shead, self._slen, self._line, self._lhead, self._llen,
            self._pred_loc, self._pred_ori, *self._dims,
        )  # fmt: skip
        if off >= 0:
            raise ValueError(f"robot {off // steps}'s plan drives off the map at step "
                             f"{off % steps}")  # fmt: skip
        if state is not None and window > 0:
            loc, ori, count, cur = _arrays(state)
            self._line, stuck = _dry_run(
                self._staged, self._shead, self._slen, self._line, self._lhead, self._llen,
                loc, ori, count, cur, window, self._pred_loc, self._pred_ori, *self._dims,
            )  # fmt: skip
            if len(stuck):
                raise ValueError(f"robots {stuck[:5].tolist()} are moving out of their turn")

    def commands(self, state: FleetState) -> list[int]:
        """Each robot's request this tick: its staged action, or a wait.

        A robot moves into a cell when it is first in that cell's line, or, in a straight
        train, when the robot ahead of it in the line is driving out of the cell the same
        way and is far enough ahead that it may stop dead this tick (a delay) without the
        two squares overlapping: ``max(size, 1) + 1/K`` cells between their corners. A robot
        larger than a cell starts a move only when it is first in line for every cell
        it leads into (no trains).
        """
        loc, ori, count, cur = _arrays(state)
        out = np.empty(len(loc), dtype=_I64)
        _commands(
            self._staged, self._shead, self._slen, self._line, self._lhead, self._llen,
            loc, ori, count, cur, self.k, self._clear, out, *self._dims,
        )  # fmt: skip
        return out.tolist()

    def executed(self, before: FleetState, after: FleetState) -> None:
        """Take off each robot's staged action once it is complete; a robot that left
        cells leaves their lines."""
        b_loc, b_ori, _, _ = _arrays(before)
        a_loc, a_ori, _, _ = _arrays(after)
        robot, cell = _executed(
            self._shead, self._slen, self._line, self._lhead, self._llen,
            b_loc, b_ori, a_loc, a_ori, *self._dims,
        )  # fmt: skip
        if robot >= 0:
            raise ValueError(f"robot {robot} left cell {cell} out of its turn")

    def staged(self, robot: int) -> list[tuple[int, int]]:
        """The robot's staged actions not yet complete: (action, cell it enters or -1)."""
        h = int(self._shead[robot])
        row = self._staged[robot, h : h + self._slen[robot]].tolist()
        return [(v & 3, (v >> 2) - 1) for v in row]

    def cells(self, robot: int) -> list[int]:
        """The cells the robot is still to enter with its staged moves, in order."""
        return [c for a, c in self.staged(robot) if a == F]

    def backlog(self, robot: int) -> int:
        """Actions staged and not yet complete."""
        return int(self._slen[robot])

    def line(self, cell: int) -> list[int]:
        """The robots that will hold the cell, in turn (its holder first)."""
        h = int(self._lhead[cell])
        return self._line[cell, h : h + self._llen[cell]].tolist()  # type: ignore[no-any-return]


def _arrays(state: FleetState) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.array(state.loc, dtype=_I64),
        np.array(state.ori, dtype=_I64),
        np.array(state.count, dtype=_I64),
        np.array(state.cur, dtype=_I64),
    )


_warm = False


def _warm_up() -> None:
    """Compile (or load from numba's cache) every kernel once per process, outside the
    timed calls: a first call inside the 100 ms staging budget would overrun it."""
    global _warm
    if _warm:
        return
    _warm = True
    for size in (1.0, 2.0):
        ex = StagingExecutor([0, 1], 4, 3, 1, size)
        state = FleetState.start([0, 1])
        ex.stage([[W], [F, R]], state, 2)
        ex.executed(state, state.copy())
        ex.commands(state)


# --- kernels ------------------------------------------------------------------------------
# Typed by numba when it compiles them (mypy does not check them).


@njit(cache=True)
def _push(buf, head, length, row, value):  # type: ignore[no-untyped-def]
    """Append ``value`` to ``row``; returns the buffer (a new, wider one when full)."""
    end = head[row] + length[row]
    if end == buf.shape[1]:
        if head[row] > 0:  # slide the row back to its start
            h = head[row]
            for j in range(length[row]):
                buf[row, j] = buf[row, h + j]
            head[row] = 0
            end = length[row]
        else:
            wider = np.zeros((buf.shape[0], 2 * buf.shape[1]), dtype=buf.dtype)
            wider[:, : buf.shape[1]] = buf
            buf = wider
    buf[row, end] = value
    length[row] += 1
    return buf


@njit(cache=True)
def _pop(head, length, row):  # type: ignore[no-untyped-def]
    if length[row] == 0:
        return
    length[row] -= 1
    head[row] = head[row] + 1 if length[row] > 0 else 0


@njit(cache=True)
def _block(a, out, width, height, m):  # type: ignore[no-untyped-def]
    """The cells a robot on ``a`` lies on (cut by the map's edge), into ``out``; their count."""
    row, col = a // width, a % width
    k = 0
    for r in range(row, min(height, row + m)):
        for c in range(col, min(width, col + m)):
            out[k] = r * width + c
            k += 1
    return k


@njit(cache=True)
def _only(a, b, out, width, height, m):  # type: ignore[no-untyped-def]
    """The cells of ``a``'s block not in ``b``'s, in block order: a move from ``b`` to
    ``a`` leads into them, one from ``a`` to ``b`` trails them."""
    if m == 1:
        out[0] = a
        return 1
    ra, ca = a // width, a % width
    rb, cb = b // width, b % width
    k = 0
    for r in range(ra, min(height, ra + m)):
        for c in range(ca, min(width, ca + m)):
            if not (rb <= r < rb + m and cb <= c < cb + m):
                out[k] = r * width + c
                k += 1
    return k


@njit(cache=True)
def _hold(loc, line, lhead, llen, width, height, m):  # type: ignore[no-untyped-def]
    """Put each robot in the lines of the cells it stands on (robot by robot)."""
    cells = np.empty(m * m, dtype=np.int64)
    for i in range(len(loc)):
        for j in range(_block(loc[i], cells, width, height, m)):
            line = _push(line, lhead, llen, cells[j], i)
    return line


@njit(cache=True)
def _append(plan, st, shead, slen, line, lhead, llen, loc, ori, width, height, m):  # type: ignore[no-untyped-def]
    """Stage ``plan`` (robots x steps, waits not staged) step by step, robot by robot,
    from the predicted states ``loc``/``ori`` (advanced). Returns the buffers and
    ``robot * steps + step`` of a move off the map (-1: none)."""
    n, steps = plan.shape
    cells = np.empty(m * m, dtype=np.int64)
    for s in range(steps):
        for i in range(n):
            a = plan[i, s]
            if a == F:
                here = loc[i]
                row, col = here // width + _DY[ori[i]], here % width + _DX[ori[i]]
                if not (0 <= row < height and 0 <= col < width):
                    return st, line, i * steps + s
                cell = row * width + col
                st = _push(st, shead, slen, i, F + 4 * (cell + 1))
                for j in range(_only(cell, here, cells, width, height, m)):
                    line = _push(line, lhead, llen, cells[j], i)
                loc[i] = cell
            elif a in (R, C):
                st = _push(st, shead, slen, i, a)
                ori[i] = (ori[i] + (1 if a == R else 3)) & 3
    return st, line, -1


@njit(cache=True)
def _go(i, st, shead, line, lh, ll, loc, ori, done, order, n_order, cells, width, height, m):  # type: ignore[no-untyped-def]
    """Robot ``i``'s next staged action in the dry run, if it can run: returns (-1 if it
    ran, else the robot it waits for, or -2 for nobody: a cell without a line; the
    count of moves in ``order``)."""
    v = st[i, shead[i] + done[i]]
    a = v & 3
    if a == F:
        cell = (v >> 2) - 1
        here = loc[i]
        for j in range(_only(cell, here, cells, width, height, m)):
            c = cells[j]
            if ll[c] == 0:
                return -2, n_order  # nobody's turn there: it waits the whole step
            if line[c, lh[c]] != i:
                return line[c, lh[c]], n_order
        for j in range(_only(here, cell, cells, width, height, m)):
            _pop(lh, ll, cells[j])
        order[n_order, 0] = i
        order[n_order, 1] = here
        order[n_order, 2] = cell
        n_order += 1
        loc[i] = cell
    else:
        ori[i] = (ori[i] + (1 if a == R else 3)) & 3
    done[i] += 1
    return -1, n_order


@njit(cache=True)
def _dry_run(  # type: ignore[no-untyped-def]
    st,
    shead,
    slen,
    line,
    lhead,
    llen,
    sloc,
    sori,
    scount,
    scur,
    window,
    ploc,
    pori,
    width,
    height,
    m,
):
    """Cut each robot's staged actions to what runs in ``window`` actions from the actual
    states and rebuild the lines in that order; the end states go to ``ploc``/``pori``.
    Returns the line buffer and the robots found moving out of their turn (none: ok)."""
    n = len(slen)
    lh, ll = lhead.copy(), llen.copy()  # the dry run's lines (it only takes robots off)
    loc, ori = sloc.copy(), sori.copy()
    done = np.zeros(n, dtype=np.int64)  # staged actions each robot executes
    order = np.empty((n * (window + 1), 3), dtype=np.int64)  # moves: robot, from, to
    n_order = 0
    cells = np.empty(m * m, dtype=np.int64)
    # Actions in progress are committed: they complete first (a robot in a train once
    # the one ahead of it has).
    busy = np.array([i for i in range(n) if scount[i] > 0 and scur[i] != NA], dtype=np.int64)
    while len(busy):
        waiting = np.empty(len(busy), dtype=np.int64)
        nw = 0
        for i in busy:
            r, n_order = _go(
                i, st, shead, line, lh, ll, loc, ori, done, order, n_order, cells, width, height, m
            )
            if r != -1:
                waiting[nw] = i
                nw += 1
        if nw == len(busy):
            return line, busy
        busy = waiting[:nw].copy()
    # One action each per step; a robot held up by one ahead that moves in the same step
    # goes right after it (trains), else it tries again next step. A cell's line fixes
    # who enters it in which order, so the order robots are tried in does not change the
    # outcome.
    todo = np.empty(2 * n + 1, dtype=np.int64)
    w_head = np.empty(n, dtype=np.int64)  # robots waiting for robot k: a linked list
    w_tail = np.empty(n, dtype=np.int64)
    w_next = np.empty(n, dtype=np.int64)
    for _ in range(window):
        w_head[:] = -1
        q_head, q_tail = 0, 0
        for i in range(n):
            if done[i] < slen[i]:
                todo[q_tail] = i
                q_tail += 1
        while q_head < q_tail:
            i = todo[q_head]
            q_head += 1
            k, n_order = _go(
                i, st, shead, line, lh, ll, loc, ori, done, order, n_order, cells, width, height, m
            )
            if k == -1:
                w = w_head[i]
                w_head[i] = -1
                while w >= 0:
                    todo[q_tail] = w
                    q_tail += 1
                    w = w_next[w]
            elif k >= 0:
                w_next[i] = -1
                if w_head[k] < 0:
                    w_head[k] = i
                else:
                    w_next[w_tail[k]] = i
                w_tail[k] = i
    # Rebuild: each cell's holder (where the robot is, or the cell its move in progress
    # enters), then the kept moves in dry-run order.
    lhead[:] = 0
    llen[:] = 0
    line = _hold(sloc, line, lhead, llen, width, height, m)
    started = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        slen[i] = done[i]
        if slen[i] == 0:
            shead[i] = 0
        elif scur[i] == F and scount[i] > 0:
            v = st[i, shead[i]]
            if v & 3 == F:  # it holds the cells it enters
                for j in range(_only((v >> 2) - 1, sloc[i], cells, width, height, m)):
                    line = _push(line, lhead, llen, cells[j], i)
                started[i] = True
    for x in range(n_order):
        i = order[x, 0]
        if started[i]:
            started[i] = False  # its move in progress: it holds those cells already
            continue
        for j in range(_only(order[x, 2], order[x, 1], cells, width, height, m)):
            line = _push(line, lhead, llen, cells[j], i)
    ploc[:] = loc
    pori[:] = ori
    return line, np.empty(0, dtype=np.int64)


@njit(cache=True)
def _ahead(j, i, loc, ori, count, cur, k, clear, width):  # type: ignore[no-untyped-def]
    """Whether robot ``i`` may drive on behind robot ``j``, which stands in the cell
    ``i`` enters: ``j`` drives straight out of it the way ``i`` goes, and stays far
    enough ahead even if it stops this tick."""
    if cur[j] != F or ori[j] != ori[i]:
        return False
    o = ori[i]
    rj, cj = loc[j] // width, loc[j] % width
    ri, ci = loc[i] // width, loc[i] % width
    if (cj - ci) * _DY[o] != 0 or (rj - ri) * _DX[o] != 0:
        return False  # not on the same line
    # Progress along the direction of travel, in ticks of motion (K per cell).
    along = (cj - ci) * _DX[o] + (rj - ri) * _DY[o]
    gap = along * k + count[j] - (count[i] if cur[i] == F else 0)
    return gap >= clear


@njit(cache=True)
def _commands(  # type: ignore[no-untyped-def]
    st, shead, slen, line, lhead, llen, loc, ori, count, cur, k, clear, out, width, height, m
):
    cells = np.empty(m * m, dtype=np.int64)
    for i in range(len(slen)):
        out[i] = W
        if slen[i] == 0:
            continue
        v = st[i, shead[i]]
        a = v & 3
        if a != F:
            out[i] = a  # turns do not move the square
            continue
        cell = (v >> 2) - 1
        if m > 1:
            ok = True
            for x in range(_only(cell, loc[i], cells, width, height, m)):
                c = cells[x]
                if llen[c] == 0 or line[c, lhead[c]] != i:
                    ok = False
                    break
            if ok:
                out[i] = F
            continue
        if llen[cell] == 0:
            continue
        j = line[cell, lhead[cell]]
        train = llen[cell] > 1 and line[cell, lhead[cell] + 1] == i and loc[j] == cell
        if j == i or (train and _ahead(j, i, loc, ori, count, cur, k, clear, width)):
            out[i] = F  # else paused or held back until the robot ahead is far enough


@njit(cache=True)
def _executed(shead, slen, line, lhead, llen, b_loc, b_ori, a_loc, a_ori, width, height, m):  # type: ignore[no-untyped-def]
    """Returns (robot, cell) of a robot that left a cell out of its turn, else (-1, -1)."""
    cells = np.empty(m * m, dtype=np.int64)
    for i in range(len(slen)):
        if a_loc[i] != b_loc[i]:
            for j in range(_only(b_loc[i], a_loc[i], cells, width, height, m)):
                c = cells[j]
                if llen[c] == 0 or line[c, lhead[c]] != i:
                    return i, c
                _pop(lhead, llen, c)
        elif a_ori[i] == b_ori[i]:
            continue
        if slen[i] > 0:
            _pop(shead, slen, i)
    return -1, -1
