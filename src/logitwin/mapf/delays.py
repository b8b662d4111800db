"""Execution delays of the League of Robot Runners 2026 rules, drawn as the start kit draws them.

Once per execution tick, every robot not already delayed may be picked: each with
probability ``pDelay`` (``bernoulli``), or a Poisson(``teamSize * pDelay``) number of them
chosen by a shuffle (``poisson``). A picked robot is delayed for a duration uniform in
``[minDelay, maxDelay]`` or drawn from a gaussian (mean and deviation relative to that
range, rounded half away from zero and clamped to it). A robot delayed at tick ``t`` for
``d`` ticks must wait on ticks ``t .. t+d-1``; the interval is recorded as ``[t, t+d]``.

The start kit draws from one ``std::mt19937`` seeded with ``seed``, through libstdc++'s
distributions. They are reproduced here number for number, so a problem's delays are the
same as the start kit's (a test compiles a C++ program against libstdc++ and compares).
"""

from __future__ import annotations

import math

import numpy as np

from logitwin.site.io import DelayConfig

__all__ = ["MT19937", "DelayConfig", "DelayGenerator"]


class MT19937:
    """The 32-bit Mersenne Twister of C++'s ``std::mt19937``, seeded as its constructor
    seeds it; words are generated 624 at a time with numpy."""

    _N, _M = 624, 397

    def __init__(self, seed: int) -> None:
        mt = [seed & 0xFFFFFFFF]
        for i in range(1, self._N):
            prev = mt[-1]
            mt.append((1812433253 * (prev ^ (prev >> 30)) + i) & 0xFFFFFFFF)
        self._mt = np.array(mt, dtype=np.uint64)
        self._out = np.empty(0, dtype=np.uint64)
        self._pos = self._N  # the first word twists

    def _twist(self) -> None:
        n, m = self._N, self._M
        mt = self._mt
        upper, lower = np.uint64(0x80000000), np.uint64(0x7FFFFFFF)
        matrix = np.uint64(0x9908B0DF)
        one = np.uint64(1)
        # Element i uses mt[i + 1] (old) and mt[(i + m) % n], which is new for i >= n - m:
        # slices of at most n - m elements, each reading only what earlier slices wrote.
        for lo, hi in ((0, n - m), (n - m, 2 * (n - m)), (2 * (n - m), n - 1), (n - 1, n)):
            idx = np.arange(lo, hi)
            y = (mt[idx] & upper) | (mt[(idx + 1) % n] & lower)
            mt[idx] = mt[(idx + m) % n] ^ (y >> one) ^ np.where(y & one, matrix, np.uint64(0))
        y = mt.copy()
        y ^= y >> np.uint64(11)
        y ^= (y << np.uint64(7)) & np.uint64(0x9D2C5680)
        y ^= (y << np.uint64(15)) & np.uint64(0xEFC60000)
        y ^= y >> np.uint64(18)
        self._out = y & np.uint64(0xFFFFFFFF)
        self._list: list[int] = self._out.tolist()  # for one word at a time
        self._pos = 0

    def words(self, k: int) -> np.ndarray:
        """The next ``k`` 32-bit outputs (uint64)."""
        parts = []
        while k > 0:
            if self._pos >= self._N:
                self._twist()
            take = min(k, self._N - self._pos)
            parts.append(self._out[self._pos : self._pos + take])
            self._pos += take
            k -= take
        return np.concatenate(parts) if len(parts) != 1 else parts[0]

    def __call__(self) -> int:
        if self._pos >= self._N:
            self._twist()
        self._pos += 1
        return self._list[self._pos - 1]

    # --- libstdc++'s distributions ----------------------------------------------------------
    def canonicals(self, k: int) -> np.ndarray:
        """``k`` doubles in [0, 1) as ``std::generate_canonical<double, 53>`` makes them
        (two words each, low word first)."""
        w = self.words(2 * k).astype(np.float64)
        u = (w[0::2] + w[1::2] * 4294967296.0) / 18446744073709551616.0
        return np.where(u < 1.0, u, math.nextafter(1.0, 0.0))

    def canonical(self) -> float:
        return float(self.canonicals(1)[0])

    def below(self, n: int) -> int:
        """An integer uniform in ``[0, n)``, ``n <= 2**32`` (libstdc++'s nearly divisionless
        method)."""
        prod = self() * n
        low = prod & 0xFFFFFFFF
        if low < n:
            threshold = ((1 << 32) - n) % n
            while low < threshold:
                prod = self() * n
                low = prod & 0xFFFFFFFF
        return prod >> 32

    def normal(self, mean: float, sd: float) -> float:
        """One draw of a fresh ``std::normal_distribution`` (the polar method's second value
        is lost with the object)."""
        while True:
            x = 2.0 * self.canonical() - 1.0
            y = 2.0 * self.canonical() - 1.0
            r2 = x * x + y * y
            if r2 <= 1.0 and r2 != 0.0:
                return y * math.sqrt(-2.0 * math.log(r2) / r2) * sd + mean

    def poisson(self, mean: float) -> int:
        """One draw of a fresh ``std::poisson_distribution<int>``."""
        if mean < 12:
            threshold = math.exp(-mean)
            x, prod = 0, 1.0
            while True:
                prod *= self.canonical()
                x += 1
                if not prod > threshold:
                    return x - 1
        return self._poisson_large(mean)

    def _poisson_large(self, mean: float) -> int:
        # Devroye's rejection method as libstdc++ implements it for mean >= 12.
        saved: list[float] = []

        def gauss() -> float:  # one normal_distribution object for the whole call
            if saved:
                return saved.pop()
            while True:
                x = 2.0 * self.canonical() - 1.0
                y = 2.0 * self.canonical() - 1.0
                r2 = x * x + y * y
                if r2 <= 1.0 and r2 != 0.0:
                    mult = math.sqrt(-2.0 * math.log(r2) / r2)
                    saved.append(x * mult)
                    return y * mult

        naf = (1 - 2.220446049250313e-16) / 2
        thr_max = 2147483647 + naf
        m = math.floor(mean)
        lm_thr = math.log(mean)
        lfm = math.lgamma(m + 1)
        sm = math.sqrt(m)
        pi_4 = 0.7853981633974483
        dx = math.sqrt(2 * m * math.log(32 * m / pi_4))
        d = float(_round_half_away(max(6.0, min(m, dx))))
        cx = 2 * m + d
        scx = math.sqrt(cx / 2)
        _1cx = 1 / cx
        c2b = math.sqrt(pi_4 * cx) * math.exp(_1cx)
        cb = 2 * cx * math.exp(-d * _1cx * (1 + d / 2)) / d
        c1 = sm * 1.2533141373155003
        c2 = c2b + c1
        c3 = c2 + 1
        c4 = c3 + 1
        c5 = c4 + 1.0129030479320018
        c = cb + c5
        _2cx = 2 * (2 * m + d)
        while True:
            u = c * self.canonical()
            e = -math.log(1.0 - self.canonical())
            w = 0.0
            if u <= c1:
                n = gauss()
                y = -abs(n) * sm - 1
                x = math.floor(y)
                w = -n * n / 2
                if x < -m:
                    continue
            elif u <= c2:
                n = gauss()
                y = 1 + abs(n) * scx
                x = math.ceil(y)
                w = y * (2 - y) * _1cx
                if x > d:
                    continue
            elif u <= c3:
                x = -1
            elif u <= c4:
                x = 0
            elif u <= c5:
                x = 1
                w = 0.01282051282051282
            else:
                v = -math.log(1.0 - self.canonical())
                y = d + v * _2cx / d
                x = math.ceil(y)
                w = -d * _1cx * (1 + y / 2)
            reject = w - e - x * lm_thr > lfm - math.lgamma(x + m + 1)
            if not reject and x + m < thr_max:
                return int(x + m + naf)

    def shuffle(self, items: list[int]) -> None:
        """``std::shuffle`` in place (two swaps per draw, as libstdc++ does for small
        ranges)."""
        n = len(items)
        if n < 2:
            return
        if n * n > 0xFFFFFFFF:
            raise ValueError(f"shuffle of {n} items is not reproduced (more than 65,535)")
        i = 1
        if n % 2 == 0:
            j = self.below(2)
            items[i], items[j] = items[j], items[i]
            i += 1
        while i != n:
            r = i + 1
            x = self.below(r * (r + 1))
            a, b = divmod(x, r + 1)
            items[i], items[a] = items[a], items[i]
            i += 1
            items[i], items[b] = items[b], items[i]
            i += 1


def _round_half_away(x: float) -> int:
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


class DelayGenerator:
    """Draws each tick's delays for a team, as the start kit's generator does.

    Args:
        config: the problem's delay configuration.
        team: number of robots.
    """

    def __init__(self, config: DelayConfig, team: int) -> None:
        self.config = config
        self.team = team
        self._g = MT19937(config.seed)
        self.remaining = np.zeros(team, dtype=np.int64)  # ticks still to wait
        self.intervals: list[list[tuple[int, int]]] = [[] for _ in range(team)]
        self.tick = 0

    def next_tick(self) -> np.ndarray:
        """Draw this tick's delays; return which robots must wait this tick (bool array)."""
        cfg, g, rem = self.config, self._g, self.remaining
        rem[rem > 0] -= 1
        available = np.flatnonzero(rem == 0)
        chosen: list[int] = []
        if available.size:
            if cfg.event_model == "bernoulli":
                u = g.canonicals(available.size)
                chosen = available[u < cfg.p_delay].tolist()
            else:
                k = min(g.poisson(self.team * cfg.p_delay), int(available.size))
                if k > 0:
                    order = available.tolist()
                    g.shuffle(order)
                    chosen = order[:k]
        for a in chosen:
            d = self._duration()
            rem[a] = d
            self.intervals[a].append((self.tick, self.tick + d))
        self.tick += 1
        return rem > 0

    def _duration(self) -> int:
        cfg, g = self.config, self._g
        lo, hi = cfg.min_delay, cfg.max_delay
        if lo == hi:
            return lo
        if cfg.duration_model == "uniform":
            return lo + g.below(hi - lo + 1)
        span = hi - lo
        mean = lo + span * cfg.gauss_mean_ratio
        sd = span * cfg.gauss_std_ratio
        x = mean if sd <= 0 else g.normal(mean, sd)
        return min(max(_round_half_away(x), lo), hi)
