"""``logitwin train`` and ``logitwin policies``: training jobs and the policy registry.

Wired into ``logitwin.cli`` by ``add_parsers(sub)`` and, for those commands, ``run(args)``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from logitwin.errors import LogitwinError

__all__ = ["COMMANDS", "add_parsers", "run"]

COMMANDS = ("train", "policies")


def add_parsers(sub: Any) -> None:
    """Add ``train`` and ``policies`` to the ``logitwin`` subcommands."""
    t = sub.add_parser("train", help="train a slotting or dispatch policy (MaskablePPO)")
    t.add_argument("kind", choices=["slotting", "dispatch"])
    t.add_argument("--scenario", default="tiny", help="built-in scenario name or YAML path")
    t.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                   help="override a scenario field (repeatable; horizon_h= sets the "
                   "episode length)")  # fmt: skip
    t.add_argument("--timesteps", type=int, required=True, help="decisions to train on")
    t.add_argument("--envs", type=int, default=1, help="environments in subprocesses")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--minutes", type=float, help="stop training after this much wall time")
    t.add_argument("--lr", default="3e-4", help="learning rate(s), comma-separated (Ray: one "
                   "task per rate and seed)")  # fmt: skip
    t.add_argument("--n-steps", type=int, default=256, help="PPO rollout length per env")
    t.add_argument("--batch-size", type=int, default=64)
    t.add_argument("--gamma", type=float, default=0.99)
    t.add_argument("--ent-coef", type=float, default=0.01)
    t.add_argument("--imitate", help="warm start: imitate this heuristic first (e.g. "
                   "nearest_free, class_based, assignment)")  # fmt: skip
    t.add_argument(
        "--reward",
        choices=["decision", "window"],
        default="decision",
        help="each decision's own measured legs (default), or the fleet between two decisions",
    )
    t.add_argument("--k", type=int, help="candidates per decision (default 16)")
    t.add_argument("--out", type=Path, help="run folder (default runs/train-KIND-TIME)")
    t.add_argument("--name", help="register as this policy name (default KIND-SCENARIO)")
    t.add_argument("--no-register", action="store_true", help="train only")
    t.add_argument("--registry", type=Path, help="policy registry (default $LOGITWIN_POLICIES "
                   "or ./policies)")  # fmt: skip
    t.add_argument("--runtime", default="local",
                   help="local, or ray[:ADDRESS]: every seed x setting as a Ray task")  # fmt: skip
    t.add_argument("--seeds", default=None,
                   help="with ray: comma-separated seeds (default: --seed)")  # fmt: skip
    t.add_argument("--workers", type=int, help="with a local Ray: its CPUs")
    t.add_argument("--no-progress", action="store_true")

    p = sub.add_parser("policies", help="the policy registry: list, show, promote, eval, export")
    p.add_argument("--registry", type=Path, help="policy registry (default $LOGITWIN_POLICIES "
                   "or ./policies)")  # fmt: skip
    ps = p.add_subparsers(dest="action", required=True)
    ps.add_parser("list", help="every policy and its versions")
    show = ps.add_parser("show", help="a version's metadata")
    show.add_argument("policy", help="NAME or NAME@VERSION")
    promote = ps.add_parser("promote", help="make a version the one policy:NAME loads")
    promote.add_argument("policy", help="NAME@VERSION")
    ev = ps.add_parser("eval", help="full twin runs against the heuristics, held-out seeds")
    ev.add_argument("policy", help="NAME or NAME@VERSION")
    ev.add_argument("--scenario", default="tiny")
    ev.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE")
    ev.add_argument("--seeds", type=int, default=10)
    ev.add_argument("--workers", type=int, default=1, help="runs in parallel")
    ev.add_argument("--out", type=Path, help="output folder (default runs/eval-NAME-TIME)")
    ev.add_argument("--json", action="store_true", help="print eval.json")
    ex = ps.add_parser("export", help="copy a version's ONNX model (for serving elsewhere)")
    ex.add_argument("policy", help="NAME or NAME@VERSION")
    ex.add_argument("--out", type=Path, required=True, help="where to write the .onnx file")


def _split(text: str) -> tuple[str, int | None]:
    name, _, v = text.partition("@")
    if v and not v.isdigit():
        raise LogitwinError(f"policy {text!r}: the version after @ must be a number")
    return name, int(v) if v else None


def run(args: argparse.Namespace) -> int:
    """Run ``train`` or ``policies``; returns the exit code.

    Raises:
        LogitwinError: bad input (unknown policy, kind, version, registry).
    """
    if args.command == "train":
        return _train(args)
    return _policies(args)


def _registry(args: argparse.Namespace) -> Any:
    from logitwin.rl.registry import PolicyRegistry

    return PolicyRegistry(args.registry)


def _train(args: argparse.Namespace) -> int:
    from logitwin.rl.envs import EnvConfig
    from logitwin.rl.train import TrainSettings, register, train, train_many, with_lr

    try:
        rates = [float(x) for x in args.lr.split(",") if x.strip()]
        seeds = [int(x) for x in args.seeds.split(",")] if args.seeds else [args.seed]
        config = EnvConfig(args.scenario, tuple(args.overrides), args.k, reward=args.reward)
        base = TrainSettings(n_steps=args.n_steps, batch_size=args.batch_size,
                             gamma=args.gamma, ent_coef=args.ent_coef)  # fmt: skip
        settings = with_lr(base, rates)
    except ValueError as exc:
        raise LogitwinError(f"train: {exc}") from None
    config.load()  # a bad scenario or override fails here, before any process starts
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = args.out or Path("runs") / f"train-{args.kind}-{stamp}"
    t0 = time.perf_counter()
    if args.runtime == "local":
        if len(settings) > 1 or len(seeds) > 1:
            raise LogitwinError("several --lr or --seeds need --runtime ray[:ADDRESS]")
        results = [train(args.kind, config, args.timesteps, out, args.envs, args.seed,
                         settings[0], progress=not args.no_progress,
                         max_minutes=args.minutes, imitate=args.imitate)]  # fmt: skip
    elif args.runtime == "ray" or args.runtime.startswith("ray:"):
        address = args.runtime[4:] or None
        results = train_many(args.kind, config, args.timesteps, out, seeds, settings,
                             args.envs, address, args.workers, args.imitate,
                             args.minutes)  # fmt: skip
    else:
        raise LogitwinError(f"--runtime {args.runtime!r}: expected local, ray or ray:ADDRESS")
    best = results[0]
    print(f"trained {len(results)} run(s) in {time.perf_counter() - t0:.0f} s; best: "
          f"{best.run_dir} (validation return {best.validation_return:.2f})")  # fmt: skip
    if not args.no_register:
        name = args.name or f"{args.kind}-{Path(args.scenario).stem}"
        pv = register(best, name, _registry(args), {"runs": [r.as_dict() for r in results]})
        lat = pv.meta["latency"]
        print(f"registered policy:{pv.name}@{pv.version} in {pv.path.parent.parent} "
              f"(latency p50 {lat['p50_ms']:.3f} ms, p99 {lat['p99_ms']:.3f} ms)")  # fmt: skip
    return 0


def _policies(args: argparse.Namespace) -> int:
    reg = _registry(args)
    if args.action == "list":
        rows = reg.names()
        if not rows:
            print(f"no policies in {reg.root}")
        for r in rows:
            print(f"{r['name']:<24} {r['kind']:<9} versions {r['versions']} "
                  f"promoted @{r['promoted']}")  # fmt: skip
        return 0
    name, version = _split(args.policy)
    if args.action == "show":
        print(json.dumps(reg.get(name, version).meta, indent=2))
        return 0
    if args.action == "promote":
        if version is None:
            raise LogitwinError("promote needs NAME@VERSION")
        pv = reg.promote(name, version)
        print(f"policy:{pv.name} now loads version {pv.version}")
        return 0
    if args.action == "export":
        import shutil

        pv = reg.get(name, version)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pv.onnx, args.out)
        print(f"wrote {args.out} (input 'obs' float32 x {pv.meta['observation']['size']}, "
              f"output 'logits' x {pv.meta['action']['n']}; mask before argmax)")  # fmt: skip
        return 0
    from logitwin.rl.evaluate import evaluate, format_table

    pv = reg.get(name, version)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = args.out or Path("runs") / f"eval-{pv.name}-{stamp}"
    res = evaluate(pv.kind, f"{pv.name}@{pv.version}", args.scenario, args.overrides,
                   args.seeds, out, reg, args.workers)  # fmt: skip
    if args.json:
        print((out / "eval.json").read_text())
    else:
        print(format_table(res))
        print(f"report: {res.report}")
    return 0
