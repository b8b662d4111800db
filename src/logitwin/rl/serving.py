"""Serving learned policies: ONNX export, the policy object the twin calls, latency.

A scenario naming ``policy:NAME@VERSION`` reaches :func:`load_policy` (through
``control.policies.make_policy``): it finds the version in the registry and returns an
:class:`OnnxPolicy`, which builds the same observation as the training environment and
runs the exported actor network with onnxruntime on one thread; the answer is the best
candidate that exists (argmax of the logits over the mask).
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from logitwin.control.slotting import SiteView
from logitwin.errors import LogitwinError
from logitwin.rl.observe import make_observer
from logitwin.rl.registry import PolicyRegistry, PolicyVersion

__all__ = ["OnnxPolicy", "export_onnx", "load_policy", "measure_latency"]


def export_onnx(model: Any, obs_size: int, path: str | Path) -> Path:
    """Write the actor of an SB3 (Maskable)PPO ``model`` as ONNX: ``obs`` (batch x
    ``obs_size``, float32) → ``logits`` (batch x actions). Masking is left to the caller."""
    import torch

    class _Actor(torch.nn.Module):
        def __init__(self, policy: Any) -> None:
            super().__init__()
            self.policy = policy

        def forward(self, obs: torch.Tensor) -> torch.Tensor:
            features = self.policy.extract_features(obs, self.policy.pi_features_extractor)
            latent = self.policy.mlp_extractor.forward_actor(features)
            out: torch.Tensor = self.policy.action_net(latent)
            return out

    actor = _Actor(model.policy).eval()
    out = Path(path)
    # The TorchScript exporter (dynamo=False) needs no onnxscript; it warns that it is
    # legacy, which says nothing about this model.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            actor, (torch.zeros(1, obs_size, dtype=torch.float32),), str(out),
            input_names=["obs"], output_names=["logits"],
            dynamic_axes={"obs": {0: "batch"}, "logits": {0: "batch"}},
            opset_version=17, dynamo=False,
        )  # fmt: skip
    return out


def _session(path: Path) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


class OnnxPolicy:
    """A learned slotting or dispatch policy served with onnxruntime.

    Meets :class:`~logitwin.control.slotting.SlottingPolicy` or
    :class:`~logitwin.control.dispatch.DispatchPolicy` (deterministic: it draws nothing).

    Args:
        kind: ``slotting`` or ``dispatch``.
        site: the site it decides on.
        onnx_path: the exported actor.
        k: candidates per decision, as trained.
        label: what it is, for messages (``NAME@VERSION``).
    """

    def __init__(
        self, kind: str, site: SiteView, onnx_path: str | Path, k: int, label: str = ""
    ) -> None:
        self.kind = kind
        self.label = label or str(onnx_path)
        self._observer = make_observer(kind, site, k)
        self._session = _session(Path(onnx_path))
        self._input = self._session.get_inputs()[0].name
        want = self._observer.spec.size
        got = self._session.get_inputs()[0].shape[1]
        if isinstance(got, int) and got != want:
            raise LogitwinError(
                f"policy {self.label}: the model takes {got} inputs but a {kind} observation "
                f"with k={k} has {want}; export it again from its model.zip"
            )

    def choose(self, decision: Any) -> Any:
        """The candidate with the highest logit among those that exist (a cell; a robot,
        or ``(robot, task)`` for a dispatch alternative)."""
        options = decision.free if self.kind == "slotting" else decision.idle
        if not options:
            raise ValueError(f"no option for pod {decision.pod}: nothing to choose")
        if len(options) == 1 and (self.kind == "slotting" or not decision.alternatives):
            only = options[0]
            return int(only if self.kind == "slotting" else only[0])
        obs, candidates = self._observer.observe(decision)
        logits = self._session.run(None, {self._input: obs[None, :]})[0][0]
        return candidates[int(np.argmax(logits[: len(candidates)]))]


def load_policy(
    kind: str, name: str | None, version: int | None, site: SiteView, rng: np.random.Generator
) -> OnnxPolicy:
    """The hook ``control.policies.make_policy`` calls for ``policy:NAME[@VERSION]``:
    the version (``None``: the promoted one) from the registry at ``$LOGITWIN_POLICIES``
    (else ``./policies``), served with onnxruntime.

    Raises:
        LogitwinError: no registry, name or version there, or a policy of another kind.
    """
    if name is None:
        raise LogitwinError(f"a learned {kind} policy needs a name: policy:NAME[@VERSION]")
    pv = PolicyRegistry().get(name, version, kind)
    return policy_from(pv, site)


def policy_from(pv: PolicyVersion, site: SiteView) -> OnnxPolicy:
    """The served policy of a registered version on ``site``."""
    k = int(pv.meta["observation"]["k"])
    return OnnxPolicy(pv.kind, site, pv.onnx, k, f"{pv.name}@{pv.version}")


def measure_latency(policy: OnnxPolicy, decisions: list[Any], repeat: int = 3) -> dict[str, float]:
    """Per-decision latency of ``policy`` over ``decisions`` (observation building and
    inference, ms), after one warm-up pass (steady state: the site's distance rows the
    twin has cached anyway are cached here too): wall-clock p50/p99/mean, and p50/p99 of
    the thread's CPU time, which a loaded machine's preemptions do not inflate."""
    for d in decisions:
        policy.choose(d)
    wall, cpu = [], []
    for _ in range(repeat):
        for d in decisions:
            c0, t0 = time.thread_time_ns(), time.perf_counter_ns()
            policy.choose(d)
            wall.append(time.perf_counter_ns() - t0)
            cpu.append(time.thread_time_ns() - c0)
    ms = np.asarray(wall) / 1e6
    cms = np.asarray(cpu) / 1e6
    return {"p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99)),
            "mean_ms": float(ms.mean()), "cpu_p50_ms": float(np.percentile(cms, 50)),
            "cpu_p99_ms": float(np.percentile(cms, 99)),
            "decisions": len(decisions) * repeat}  # fmt: skip
