"""The 2026 delay generator draws what the start kit draws: std::mt19937 through
libstdc++'s distributions, checked against a C++ program compiled here (when g++ is on the
machine) and against the examples' known first intervals."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from logitwin.errors import SiteError
from logitwin.mapf.delays import MT19937, DelayGenerator
from logitwin.site.io import DelayConfig

ORACLE = Path(__file__).with_name("delay_oracle.cpp")
CONFIGS = [
    # seed, min, max, event, p, duration, mean ratio, std ratio, robots, ticks
    (0, 5, 12, "bernoulli", 0.003, "gaussian", 0.5, 0.22, 40, 400),
    (7, 1, 4, "bernoulli", 0.05, "uniform", 0.5, 0.22, 60, 300),
    (0, 10, 30, "poisson", 0.01, "uniform", 0.5, 0.22, 150, 400),
    (3, 2, 8, "poisson", 0.02, "gaussian", 0.3, 0.4, 500, 200),  # Poisson mean 10
    (11, 2, 9, "poisson", 0.03, "gaussian", 0.5, 0.0, 600, 100),  # mean 18: the large branch
    (5, 3, 3, "bernoulli", 0.1, "uniform", 0.5, 0.22, 20, 200),  # min == max
]


def _ours(cfg: tuple) -> list[tuple[int, int, int, int]]:
    seed, lo, hi, event, p, dur, mr, sr, n, ticks = cfg
    gen = DelayGenerator(DelayConfig(seed, lo, hi, event, p, dur, mr, sr), n)
    for _ in range(ticks):
        gen.next_tick()
    out = [(s, r, s, e) for r, ivs in enumerate(gen.intervals) for s, e in ivs]
    return sorted(out)


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not on this machine")
def test_draws_match_libstdcxx(tmp_path):
    exe = tmp_path / "oracle"
    subprocess.run(["g++", "-O1", "-std=c++17", str(ORACLE), "-o", str(exe)], check=True)
    for cfg in CONFIGS:
        seed, lo, hi, event, p, dur, mr, sr, n, ticks = cfg
        args = [str(seed), str(lo), str(hi), event[0], str(p), dur[0], str(mr), str(sr), str(n)]
        out = subprocess.run([str(exe), *args, str(ticks)], capture_output=True, text=True)
        want = sorted(tuple(map(int, line.split())) for line in out.stdout.splitlines())
        assert _ours(cfg) == want, cfg
        assert want, cfg  # the configuration does delay someone


def test_the_examples_first_intervals():
    """Known from the start kit's draws for the four 2026 examples (robot 0)."""
    cases = {
        (0, 5, 12, "bernoulli", 0.0003, "gaussian", 40): [(30, 40), (314, 324)],
        (0, 10, 30, "poisson", 0.01, "uniform", 150): [(24, 42), (47, 64), (85, 100)],
        (0, 1, 4, "bernoulli", 0.01, "uniform", 400): [(75, 77), (123, 124), (160, 162)],
    }
    for (seed, lo, hi, event, p, dur, n), want in cases.items():
        gen = DelayGenerator(DelayConfig(seed, lo, hi, event, p, dur, 0.5, 0.22), n)
        for _ in range(400):
            gen.next_tick()
        assert gen.intervals[0][: len(want)] == want


def test_a_delayed_robot_waits_exactly_its_duration():
    gen = DelayGenerator(DelayConfig(1, 3, 3, "bernoulli", 1.0, "uniform", 0.5, 0.2), 1)
    waits = [bool(gen.next_tick()[0]) for _ in range(8)]
    # Picked at tick 0 for 3 ticks ([0, 3]: waits on 0, 1, 2), free at 3 and picked again.
    assert waits == [True] * 8 and gen.intervals[0][:3] == [(0, 3), (3, 6), (6, 9)]


def test_mersenne_twister_matches_the_reference_stream():
    g = MT19937(5489)  # std::mt19937's default seed: its 10,000th output is 4123659995
    words = g.words(10_000)
    assert int(words[-1]) == 4123659995
    assert g.words(3).dtype == np.uint64


def test_bad_delay_configs_are_refused_by_field():
    good = {"seed": 0, "minDelay": 1, "maxDelay": 4, "eventModel": "bernoulli", "pDelay": 0.1,
            "durationModel": "uniform", "gaussMeanRatio": 0.5, "gaussStdRatio": 0.2}  # fmt: skip
    assert DelayConfig.parse(good, "p.json").max_delay == 4
    for change, message in [
        ({"minDelay": 0}, "0 < minDelay <= maxDelay"),
        ({"maxDelay": 0}, "0 < minDelay <= maxDelay"),
        ({"eventModel": "geometric"}, "eventModel 'geometric'"),
        ({"pDelay": 1.5}, r"pDelay must be in \[0, 1\]"),
        ({"durationModel": "exp"}, "durationModel 'exp'"),
        ({"seed": -1}, "unsigned 32-bit"),
        ({"pDelay": "high"}, "delayConfig.pDelay has a bad value"),
    ]:
        with pytest.raises(SiteError, match=message):
            DelayConfig.parse({**good, **change}, "p.json")
    with pytest.raises(SiteError, match="delayConfig lacks gaussStdRatio"):
        DelayConfig.parse({k: v for k, v in good.items() if k != "gaussStdRatio"}, "p.json")
