"""Load scenarios from YAML files or built-in names, apply ``--set`` overrides, explain errors."""

from __future__ import annotations

import typing
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from logitwin.errors import ScenarioError
from logitwin.scenarios.schema import Scenario

__all__ = ["apply_overrides", "builtin_names", "load_scenario", "parse_scenario"]


def _builtin_dir() -> Path:
    return Path(str(resources.files("logitwin.scenarios") / "builtin"))


def builtin_names() -> list[str]:
    """Names of the built-in scenarios shipped with the package."""
    return sorted(p.stem for p in _builtin_dir().glob("*.yaml"))


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The pydantic model that holds the field at ``loc`` (for listing allowed fields)."""
    model: Any = Scenario
    for part in loc[:-1]:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        model = field.annotation
        # An optional section (``transport: X | None``) lists the fields of X.
        inner = [a for a in typing.get_args(model) if a is not type(None)]
        if len(inner) == 1 and isinstance(inner[0], type) and issubclass(inner[0], BaseModel):
            model = inner[0]
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _explain(source: str, exc: ValidationError, overrides: list[str]) -> ScenarioError:
    """One line per error, naming the field, and the ``--set`` that caused it if one did."""
    lines: list[tuple[str, str | None]] = []
    culprits: set[str | None] = set()
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = ".".join(str(p) for p in loc) or "(top level)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            model = _model_at(loc)
            if model is not None:
                msg += f"; allowed fields: {', '.join(model.model_fields)}"
        elif err["type"] == "missing":
            msg = "required field is missing"
        else:
            msg += f" (got {err.get('input')!r})"
        culprit = _override_of(loc, overrides)
        culprits.add(culprit)
        lines.append((f"  {path}: {msg}", culprit))
    if len(culprits) == 1 and None not in culprits:
        # Every error comes from one override: it is the source, not the file.
        source = f"--set {culprits.pop()}"
        lines = [(text, None) for text, _ in lines]
    return ScenarioError(
        f"{source}: invalid scenario\n"
        + "\n".join(text + (f" (from --set {c})" if c else "") for text, c in lines)
    )


def _override_of(loc: tuple[int | str, ...], overrides: list[str]) -> str | None:
    """The last override that set the field at ``loc`` or a section holding it."""
    parts = [str(p) for p in loc]
    for item in reversed(overrides):
        keys = [k for k in item.split("=", 1)[0].strip().split(".") if k]
        if keys and parts[: len(keys)] == keys:
            return item
    return None


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Return ``data`` with ``path.to.field=value`` overrides applied (values parsed as YAML)."""
    out: dict[str, Any] = yaml.safe_load(yaml.safe_dump(data))  # deep copy of plain data
    for item in overrides:
        if "=" not in item:
            raise ScenarioError(f"--set {item!r}: expected path.to.field=value")
        path, raw = item.split("=", 1)
        keys = [k for k in path.strip().split(".") if k]
        if not keys:
            raise ScenarioError(f"--set {item!r}: empty field path")
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise ScenarioError(f"--set {item!r}: value is not valid YAML: {exc}") from None
        node = out
        for k in keys[:-1]:
            nxt = node.setdefault(k, {})
            if not isinstance(nxt, dict):
                raise ScenarioError(f"--set {item!r}: {k} is a value, not a section")
            node = nxt
        node[keys[-1]] = value
    return out


def parse_scenario(data: Any, source: str, overrides: list[str] | None = None) -> Scenario:
    """Validate plain data as a :class:`Scenario`; errors name ``source`` and each field,
    or the override in ``overrides`` (``path=value`` strings) that set a bad field."""
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{source}: a scenario is a mapping of fields, got {type(data).__name__}"
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise _explain(source, exc, overrides or []) from None


def load_scenario(name_or_path: str | Path, overrides: list[str] | None = None) -> Scenario:
    """Load a built-in scenario by name or a YAML file by path.

    Args:
        name_or_path: a built-in name (see :func:`builtin_names`) or a path to a YAML file.
        overrides: ``path.to.field=value`` strings applied before validation.

    Raises:
        ScenarioError: unknown name, unreadable file, bad YAML or invalid fields.
    """
    path = Path(name_or_path)
    source = str(path)
    if not path.suffix and not path.exists():
        if str(name_or_path) not in builtin_names():
            raise ScenarioError(
                f"unknown scenario {str(name_or_path)!r}: not a file, and the built-in "
                f"scenarios are {', '.join(builtin_names())}"
            )
        path = _builtin_dir() / f"{name_or_path}.yaml"
        source = f"built-in scenario {name_or_path!r}"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read scenario file: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from None
    if isinstance(data, dict):
        demand = data.get("demand")
        if isinstance(demand, dict) and isinstance(demand.get("orders_csv"), str):
            csv_path = Path(demand["orders_csv"]).expanduser()
            if not csv_path.is_absolute():  # relative to the scenario file
                demand["orders_csv"] = str((path.parent / csv_path).resolve())
    if overrides:
        if not isinstance(data, dict):
            raise ScenarioError(f"{source}: a scenario is a mapping of fields")
        data = apply_overrides(data, overrides)
        demand = data.get("demand")
        if isinstance(demand, dict) and isinstance(demand.get("orders_csv"), str):
            # Still relative: it came from the command line, so it is relative to where
            # the command runs. Stored resolved, the run's scenario.yaml stays valid.
            demand["orders_csv"] = str(Path(demand["orders_csv"]).expanduser().resolve())
    return parse_scenario(data, source, overrides)
