"""EPIBT's inner loops, compiled with numba (see :mod:`logitwin.control.epibt`).

The search state lives in numpy arrays owned by :class:`~logitwin.control.epibt.EPIBT`;
these functions read and change them in place. Per robot ``i`` and operation ``k``:

- ``keys[i, k, :nkeys[i, k]]``: the reservation slots the operation takes
  (``nkeys[i, k] < 0``: blocked by the map);
- ``sd[i, k]``: its preference (lower is better), ``prefs[i, :npref[i]]`` the operations
  worth trying in that order (never the all-wait operation 0, always valid);
- ``res[slot]``: the robot holding a slot, -1 for none.

``st`` holds integers (0: round, 1: work done, 2: rounds run, 3: rounds allowed), ``fs``
floats (0: fleet score, 1: score before the current change, 2: annealing temperature, 3:
the priority of the first pass's current root). Work is counted in robots tried and
operations built so the caller can stop a kernel call after a bounded amount and check
the clock: numba cannot read it.

Random numbers come from ``rs``, a one-element ``uint64`` array owned by the planner and
advanced in place (SplitMix64, Steele et al. 2014): each planner has its own stream, and
numba's process-wide generator is never seeded or drawn from.
"""

from __future__ import annotations

import numpy as np
from numba import njit

ACCEPTED, FAILED, REJECTED = 0, 1, 2

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


@njit(cache=True)
def next_u64(rs):
    """The next 64 random bits of the stream ``rs`` (SplitMix64)."""
    z = rs[0] + _GAMMA
    rs[0] = z
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


@njit(cache=True)
def uniform(rs):
    """A float in [0, 1) from the stream ``rs`` (53 random bits)."""
    return (next_u64(rs) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def shuffle(out, items, rs):
    """``out[:] = items`` in a random order (Fisher-Yates, from the stream ``rs``)."""
    out[:] = items
    for a in range(out.shape[0] - 1, 0, -1):
        b = np.int64(next_u64(rs) % np.uint64(a + 1))
        out[a], out[b] = out[b], out[a]


@njit(cache=True)
def expand(nb, size, code, pos, ori, goals, desire, keys, nkeys, ends, goal_at, straight):
    """Every robot's operations from where it stands: slots, end state, and the first
    action at which it stands on its goal (-1: never). A carried operation the map now
    blocks becomes waiting.

    With ``straight``, a robot may enter a cell another leaves in the same action only
    if both go the same way: a move takes the slot (step, cell entered, its direction)
    and the slots (step, cell left, each other direction)."""
    n, nops, depth = keys.shape[0], code.shape[0], code.shape[1]
    stride = (7 if straight else 3) * size
    for i in range(n):
        for k in range(nops):
            c, o = pos[i], ori[i]
            m = 0
            goal_at[i, k] = -1
            ok = True
            for d in range(depth):
                a = code[k, d]
                base = d * stride
                if a == 0:
                    c2 = nb[c, o]
                    if c2 < 0:
                        ok = False
                        break
                    keys[i, k, m] = base + size + 2 * min(c, c2) + (o & 1)
                    m += 1
                    if straight:
                        way = base + 3 * size
                        keys[i, k, m] = way + 4 * c2 + o
                        m += 1
                        for o2 in range(4):
                            if o2 != o:
                                keys[i, k, m] = way + 4 * c + o2
                                m += 1
                    c = c2
                elif a == 1:
                    o = (o + 1) & 3
                elif a == 2:
                    o = (o + 3) & 3
                keys[i, k, m] = base + c
                m += 1
                if goal_at[i, k] < 0 and c == goals[i]:
                    goal_at[i, k] = d
            nkeys[i, k] = m if ok else -1
            ends[i, k] = c * 4 + o if ok else pos[i] * 4 + ori[i]
        if nkeys[i, desire[i]] < 0:
            desire[i] = 0


@njit(cache=True)
def prefer(far, has_table, goal_at, nkeys, sd, prefs, npref):
    """Preferences: the action at which an operation reaches the goal, else its depth
    plus the distance left from its end (``far``); ties go to later (more forward)
    operations. Robots without a table prefer operations in their given order."""
    n, nops = sd.shape
    for i in range(n):
        for k in range(nops):
            if nkeys[i, k] < 0:
                sd[i, k] = np.inf
            elif not has_table[i]:
                sd[i, k] = k
            else:
                g = goal_at[i, k]
                dist = g if g >= 0 else far[i, k]
                sd[i, k] = dist * nops - k
        order = np.argsort(sd[i, 1:])
        m = 0
        for q in range(nops - 1):
            k = order[q] + 1
            if sd[i, k] < np.inf:
                prefs[i, m] = k
                m += 1
        npref[i] = m


@njit(cache=True)
def add(i, keys, nkeys, desire, res, sd, power, fs):
    k = desire[i]
    for m in range(nkeys[i, k]):
        res[keys[i, k, m]] = i
    fs[0] += power[i] * (sd[i, 0] - sd[i, k])


@njit(cache=True)
def remove(i, keys, nkeys, desire, res, sd, power, fs):
    k = desire[i]
    for m in range(nkeys[i, k]):
        res[keys[i, k, m]] = -1
    fs[0] -= power[i] * (sd[i, 0] - sd[i, k])


@njit(cache=True)
def carry(keys, nkeys, desire, res, sd, power, fs):
    """Reserve every robot's carried operation; ``False`` if two collide."""
    res[:] = -1
    fs[0] = 0.0
    for i in range(keys.shape[0]):
        k = desire[i]
        for m in range(nkeys[i, k]):
            if res[keys[i, k, m]] >= 0:
                return False
        add(i, keys, nkeys, desire, res, sd, power, fs)
    return True


@njit(cache=True)
def _hot(fs, rs):
    """Simulated annealing: accept a worse fleet plan now and then."""
    if fs[2] <= 0:
        return False
    worse = (fs[1] - fs[0]) / max(abs(fs[1]), 1e-9)
    return uniform(rs) < np.exp(-worse / fs[2])


@njit(cache=True)
def build(i, lns, keys, nkeys, prefs, npref, desire, res, sd, power, prio, marks, st, fs, opts, rs):
    """Give robot ``i`` (its reservations removed) a new operation, pushing one robot at a
    time out of the way; on failure everything is as it was.

    ``marks`` rows: visited (round), visits, chain (round); ``opts``: revisit, skip_push;
    ``rs``: the random stream.
    """
    st[1] += 1
    rnd = st[0]
    if marks[0, i] != rnd:
        marks[1, i] = 0
    marks[1, i] += 1
    marks[0, i] = rnd
    marks[2, i] = rnd
    old = desire[i]
    revisit, skip_push = opts[0], opts[1]
    for q in range(npref[i]):
        k = prefs[i, q]
        # The one robot whose reservations the operation meets (-1: none, -2: more).
        j = -1
        for m in range(nkeys[i, k]):
            r = res[keys[i, k, m]]
            if r >= 0 and r != j:
                if j >= 0:
                    j = -2
                    break
                j = r
        if j == -1:
            desire[i] = k
            add(i, keys, nkeys, desire, res, sd, power, fs)
            if lns and fs[0] < fs[1] - 1e-9 and not _hot(fs, rs):
                remove(i, keys, nkeys, desire, res, sd, power, fs)
                desire[i] = old
                return REJECTED
            return ACCEPTED
        if j < 0:
            continue
        if lns and uniform(rs) < skip_push:
            continue
        if (
            marks[2, j] == rnd
            or (marks[0, j] == rnd and marks[1, j] >= revisit)
            or (not lns and prio[j] <= fs[3])
        ):
            continue
        remove(j, keys, nkeys, desire, res, sd, power, fs)
        desire[i] = k
        add(i, keys, nkeys, desire, res, sd, power, fs)
        got = build(
            j, lns, keys, nkeys, prefs, npref, desire, res, sd, power, prio, marks, st, fs, opts, rs
        )
        if got == ACCEPTED:
            return got
        remove(i, keys, nkeys, desire, res, sd, power, fs)
        add(j, keys, nkeys, desire, res, sd, power, fs)
        desire[i] = old
        if got == REJECTED:
            return got
    desire[i] = old
    marks[2, i] = 0
    return FAILED


@njit(cache=True)
def replan(
    i, lns, keys, nkeys, prefs, npref, desire, res, sd, power, prio, marks, st, fs, opts, rs
):
    """Take robot ``i``'s reservations away and ``build`` it a new operation; if that
    fails, it keeps the one it had."""
    remove(i, keys, nkeys, desire, res, sd, power, fs)
    got = build(
        i, lns, keys, nkeys, prefs, npref, desire, res, sd, power, prio, marks, st, fs, opts, rs
    )
    if got != ACCEPTED:
        add(i, keys, nkeys, desire, res, sd, power, fs)


@njit(cache=True)
def first_pass(
    work,
    movers,
    q,
    keys,
    nkeys,
    prefs,
    npref,
    desire,
    res,
    sd,
    power,
    prio,
    marks,
    st,
    fs,
    opts,
    rs,
):
    """Re-plan ``movers[q:]`` in order, each pushing only less urgent robots, until the
    work counter reaches ``work``; returns where it stopped."""
    while q < movers.shape[0] and st[1] < work:
        i = movers[q]
        q += 1
        st[1] += 1
        if marks[0, i] != st[0]:
            fs[3] = prio[i]
            replan(
                i,
                False,
                keys,
                nkeys,
                prefs,
                npref,
                desire,
                res,
                sd,
                power,
                prio,
                marks,
                st,
                fs,
                opts,
                rs,
            )
    return q


@njit(cache=True)
def refine(
    work,
    movers,
    perm,
    q,
    top,
    keys,
    nkeys,
    prefs,
    npref,
    desire,
    res,
    sd,
    power,
    prio,
    marks,
    st,
    fs,
    opts,
    rs,
):
    """Refinement rounds: each robot not on its first choice, in random order, chooses
    again; the change stays unless the fleet's score falls (see ``build``). Runs until
    the work counter reaches ``work`` or ``st[3]`` rounds are done; returns where in
    ``perm`` it stopped."""
    if movers.shape[0] == 0:
        return q
    while st[1] < work:
        if q >= perm.shape[0]:
            if st[2] >= st[3]:
                break
            shuffle(perm, movers, rs)
            q = 0
            st[0] += 1
            st[2] += 1
        j = perm[q]
        q += 1
        st[1] += 1
        if desire[j] != top[j] and marks[0, j] != st[0]:
            fs[1] = fs[0]
            replan(
                j,
                True,
                keys,
                nkeys,
                prefs,
                npref,
                desire,
                res,
                sd,
                power,
                prio,
                marks,
                st,
                fs,
                opts,
                rs,
            )
            fs[2] *= 0.999
    return q
