"""The policy registry: trained policies as files plus an index.

Layout (``root`` is ``$LOGITWIN_POLICIES``, else ``policies/`` in the current folder)::

    root/index.json                 every name: kind, versions, the promoted version
    root/NAME/VERSION/model.zip     the SB3 model (to train on from)
    root/NAME/VERSION/policy.onnx   what is served (onnxruntime)
    root/NAME/VERSION/meta.json     algorithm, observation and action spec, training
                                    scenario and seed, evaluation figures, latency,
                                    creation time, code version

``policy:NAME`` in a scenario loads the promoted version (the first one registered until
another is promoted); ``policy:NAME@VERSION`` a given one. The index is rewritten
atomically (a temporary file renamed into place).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from logitwin.errors import LogitwinError

__all__ = ["ENV_VAR", "PolicyRegistry", "PolicyVersion", "code_version", "default_root"]

ENV_VAR = "LOGITWIN_POLICIES"
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def default_root() -> Path:
    """``$LOGITWIN_POLICIES``, else ``policies/`` under the current folder."""
    return Path(os.environ.get(ENV_VAR) or "policies")


def code_version() -> str:
    """The package version, with the git commit when run from a checkout."""
    from logitwin import __version__

    try:
        here = Path(__file__).resolve().parent
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here,
                             capture_output=True, text=True, timeout=5, check=False)  # fmt: skip
        commit = out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{__version__}+{commit}" if commit else __version__


@dataclass(frozen=True)
class PolicyVersion:
    """One registered version: where its files are and its metadata."""

    name: str
    version: int
    path: Path
    meta: dict[str, Any]

    @property
    def kind(self) -> str:
        """``slotting`` or ``dispatch``."""
        return str(self.meta["kind"])

    @property
    def onnx(self) -> Path:
        """The served model."""
        return self.path / "policy.onnx"

    @property
    def model(self) -> Path:
        """The SB3 model."""
        return self.path / "model.zip"


class PolicyRegistry:
    """Trained policies by name and version.

    Args:
        root: the registry folder (default :func:`default_root`); created on first add.
    """

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_root()

    def _index(self) -> dict[str, Any]:
        f = self.root / "index.json"
        if not f.is_file():
            return {"policies": {}}
        try:
            data: dict[str, Any] = json.loads(f.read_text())
        except (OSError, ValueError) as exc:
            raise LogitwinError(f"{f}: cannot read the policy index: {exc}") from None
        return data

    def _write_index(self, data: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / "index.json.tmp"
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        tmp.replace(self.root / "index.json")

    def names(self) -> list[dict[str, Any]]:
        """Every policy: name, kind, versions, promoted version."""
        idx = self._index()["policies"]
        return [{"name": n, **idx[n]} for n in sorted(idx)]

    def get(self, name: str, version: int | None = None, kind: str | None = None) -> PolicyVersion:
        """A registered version (``None``: the promoted one).

        Raises:
            LogitwinError: no such registry, name or version, or a policy of another kind.
        """
        idx = self._index()["policies"]
        if name not in idx:
            where = f"registry {self.root}" + ("" if self.root.is_dir() else " (missing)")
            known = ", ".join(sorted(idx)) or "none"
            raise LogitwinError(
                f"no policy named {name!r} in {where}; registered: {known} "
                f"(set {ENV_VAR} or --registry to another registry)"
            )
        entry = idx[name]
        v = int(entry["promoted"]) if version is None else int(version)
        if v not in entry["versions"]:
            raise LogitwinError(
                f"policy {name!r} has no version {v}; versions: {entry['versions']}"
            )
        if kind is not None and entry["kind"] != kind:
            raise LogitwinError(
                f"policy {name!r} decides {entry['kind']}, not {kind}; name a {kind} policy"
            )
        path = self.root / name / str(v)
        try:
            meta = json.loads((path / "meta.json").read_text())
        except (OSError, ValueError) as exc:
            raise LogitwinError(f"{path}: cannot read meta.json: {exc}") from None
        return PolicyVersion(name, v, path, meta)

    def add(
        self, name: str, kind: str, files: dict[str, Path], meta: dict[str, Any]
    ) -> PolicyVersion:
        """Register a new version of ``name`` (the next number) from ``files``
        (``model.zip``, ``policy.onnx`` → source path) and ``meta``."""
        if not _NAME.match(name):
            raise LogitwinError(f"policy name {name!r}: use letters, digits, '_', '.', '-'")
        if kind not in ("slotting", "dispatch"):
            raise LogitwinError(f"policy kind {kind!r}: expected slotting or dispatch")
        data = self._index()
        entry = data["policies"].setdefault(name, {"kind": kind, "versions": [], "promoted": 1})
        if entry["kind"] != kind:
            raise LogitwinError(f"policy {name!r} decides {entry['kind']}, not {kind}")
        v = max(entry["versions"], default=0) + 1
        path = self.root / name / str(v)
        path.mkdir(parents=True, exist_ok=False)
        for target, src in files.items():
            shutil.copyfile(src, path / target)
        full = {**meta, "name": name, "version": v, "kind": kind}
        (path / "meta.json").write_text(json.dumps(full, indent=2, sort_keys=True) + "\n")
        entry["versions"] = [*entry["versions"], v]
        if len(entry["versions"]) == 1:
            entry["promoted"] = v
        self._write_index(data)
        return PolicyVersion(name, v, path, full)

    def promote(self, name: str, version: int) -> PolicyVersion:
        """Make ``version`` the one ``policy:NAME`` loads."""
        pv = self.get(name, version)
        data = self._index()
        data["policies"][name]["promoted"] = version
        self._write_index(data)
        return pv

    def update_meta(self, name: str, version: int, **fields: Any) -> PolicyVersion:
        """Add ``fields`` to a version's metadata (evaluation figures, latency)."""
        pv = self.get(name, version)
        meta = {**pv.meta, **fields}
        tmp = pv.path / "meta.json.tmp"
        tmp.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        tmp.replace(pv.path / "meta.json")
        return PolicyVersion(name, version, pv.path, meta)
