import pytest

from logitwin.errors import ScenarioError
from logitwin.scenarios.loader import apply_overrides, builtin_names, load_scenario


def test_builtins_load_and_overrides_apply():
    assert {"tiny", "demo", "peak_day"} <= set(builtin_names())
    sc = load_scenario("tiny", ["fleet.robots=6", "seed=9", "demand.orders_per_hour=[10, 20]"])
    assert sc.fleet.robots == 6 and sc.seed == 9
    assert sc.demand.orders_per_hour == (10.0, 20.0)


def test_unknown_name_lists_builtins():
    with pytest.raises(ScenarioError, match="unknown scenario 'nope'.*demo"):
        load_scenario("nope")


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="cannot read scenario file"):
        load_scenario(tmp_path / "missing.yaml")


def test_broken_yaml_names_file(tmp_path):
    f = tmp_path / "broken.yaml"
    f.write_text("name: x\nfleet: [unclosed\n")
    with pytest.raises(ScenarioError, match=r"broken\.yaml: not valid YAML"):
        load_scenario(f)


def test_unknown_field_names_path_and_allowed_fields(tmp_path):
    f = tmp_path / "typo.yaml"
    f.write_text("name: x\nhorizon_h: 1\nfleet:\n  robts: 3\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(f)
    text = str(exc.value)
    assert "typo.yaml" in text and "fleet.robts" in text
    assert "allowed fields: robots, lift_s, battery, initial_soc" in text


def test_impossible_values_name_field_and_value(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text(
        "name: x\nhorizon_h: -1\nfleet: {robots: 0}\n"
        "fleet_extra: 1\nfloor: {speed_mps: fast}\nfleet_b: {}\n"
    )
    with pytest.raises(ScenarioError) as exc:
        load_scenario(f)
    text = str(exc.value)
    assert "horizon_h: Input should be greater than 0 (got -1)" in text
    assert "fleet.robots: Input should be greater than or equal to 1 (got 0)" in text
    assert "floor.speed_mps" in text and "'fast'" in text
    assert "fleet_extra" in text


def test_cross_field_checks(tmp_path):
    with pytest.raises(ScenarioError, match="low .* must be below full"):
        load_scenario("tiny", ["fleet.battery.low=0.99"])
    with pytest.raises(ScenarioError, match="cutoff_min .* must not exceed dwell_min"):
        load_scenario("tiny", ["trucks.cutoff_min=90"])


def test_missing_required_and_non_mapping(tmp_path):
    f = tmp_path / "empty.yaml"
    f.write_text("description: no name\n")
    with pytest.raises(ScenarioError, match="name: required field is missing"):
        load_scenario(f)
    f.write_text("- a list\n")
    with pytest.raises(ScenarioError, match="a scenario is a mapping"):
        load_scenario(f)


def test_override_syntax_errors():
    with pytest.raises(ScenarioError, match="expected path.to.field=value"):
        apply_overrides({}, ["fleet.robots"])
    with pytest.raises(ScenarioError, match="is a value, not a section"):
        apply_overrides({"seed": 1}, ["seed.x=2"])


def test_a_new_site_gets_the_lead_time_the_shift_built_ins_use():
    """A user's first scenario promises orders the truck 15 minutes out, as the shift
    built-ins do (an hour skipped the next hourly truck and counted few orders as due)."""
    from logitwin.scenarios.loader import builtin_names
    from logitwin.scenarios.schema import DemandSpec

    assert DemandSpec().min_lead_s == 900.0
    for name in builtin_names():
        if name != "peak_day":  # a day with a truck every 30 minutes promises an hour out
            assert load_scenario(name).demand.min_lead_s == DemandSpec().min_lead_s, name
