import pytest

from logitwin.tms.check import check_solution
from logitwin.tms.vrp import BACKENDS, OrtoolsParams, solve


@pytest.mark.parametrize("backend", BACKENDS)
def test_tiny3_optimum_found(tiny3, backend):
    s = solve(tiny3, 0.5, seed=1, backend=backend)
    assert sorted(s.routes) == [(1, 2), (3,)]
    assert s.distance == 30.0 and s.vehicles == 2 and s.feasible
    assert s.stats.backend == backend
    assert check_solution(tiny3, s.routes).feasible


@pytest.mark.parametrize("backend", BACKENDS)
def test_hierarchical_objective_uses_double_distance(tiny3, backend):
    s = solve(tiny3, 0.5, backend=backend, objective="hierarchical")
    assert s.vehicles == 2 and s.distance == pytest.approx(30.0)
    assert check_solution(tiny3, s.routes, "double").feasible


def test_bad_arguments_are_named(tiny3):
    with pytest.raises(ValueError, match="time_limit_s=0; give a positive"):
        solve(tiny3, 0)
    with pytest.raises(ValueError, match="backend='vroom'; use one of ortools, pyvrp"):
        solve(tiny3, 1, backend="vroom")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="first_solution='FAST'; use one of PARALLEL"):
        OrtoolsParams(first_solution="FAST")
    with pytest.raises(ValueError, match=r"gls_lambda=0; use a value in \(0, 10\]"):
        OrtoolsParams(gls_lambda=0)
