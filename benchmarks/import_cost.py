"""Scenario 3: DAG-parse cost. What importing an operator module adds on top of `airflow.sdk`.

Every DAG file imports `airflow.sdk`; what an operator module adds on top of it is paid again on every parse
of every DAG that uses it. Each measurement is a fresh interpreter that imports `airflow.sdk`, then times the
target's import alone; the median over repeated interpreters is reported (the targets take turns, so that
a noisy moment hits them alike).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TARGETS = {
    "bigin": "airflow_provider_bigin.operators.tags",
    "http": "airflow.providers.http.operators.http",
    "requests": "requests",  # for scale: what one HTTP library costs
}
# Modules whose presence after the import shows that the client was not deferred to execute().
HEAVY_MODULES = ("requests", "airflow_provider_bigin.client.bigin", "tenacity", "urllib3")

_PROBE = """
import importlib, json, sys, time
started = time.perf_counter()
import airflow.sdk
sdk_done = time.perf_counter()
before = set(sys.modules)
importlib.import_module(sys.argv[1])
done = time.perf_counter()
print(json.dumps({
    "sdk_seconds": sdk_done - started,
    "seconds": done - sdk_done,
    "modules": len(set(sys.modules) - before),
    "loaded": [name for name in sys.argv[2:] if name in sys.modules and name not in before],
}))
"""


@dataclass(frozen=True)
class ImportCost:
    target: str  # module name
    seconds: float  # median time its import adds on top of airflow.sdk
    samples: tuple[float, ...]
    modules: int  # modules it loads on top of airflow.sdk
    heavy_loaded: tuple[str, ...]  # which of HEAVY_MODULES it loads


@dataclass(frozen=True)
class ImportCostResult:
    sdk_seconds: float  # median cost of `import airflow.sdk` itself, for scale
    costs: dict[str, ImportCost]  # by TARGETS key
    repeats: int

    @property
    def bigin_to_http(self) -> float:
        return self.costs["bigin"].seconds / self.costs["http"].seconds


@dataclass(frozen=True)
class _Sample:
    sdk_seconds: float
    seconds: float
    modules: int
    loaded: tuple[str, ...]


def _probe(target: str, env: dict[str, str]) -> _Sample:
    completed = subprocess.run(
        [sys.executable, "-c", _PROBE, target, *HEAVY_MODULES],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        check=False,
        timeout=120,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"importing {target} failed:\n{completed.stderr[-2000:]}")
    reply = json.loads(completed.stdout.strip().splitlines()[-1])
    return _Sample(
        sdk_seconds=float(reply["sdk_seconds"]),
        seconds=float(reply["seconds"]),
        modules=int(reply["modules"]),
        loaded=tuple(str(name) for name in reply["loaded"]),
    )


def run_import_cost(repeats: int, *, progress: Callable[[str], None] = print) -> ImportCostResult:
    samples: dict[str, list[_Sample]] = {key: [] for key in TARGETS}
    with tempfile.TemporaryDirectory(prefix="bigin-bench-airflow-home-") as home:
        env = {**os.environ, "AIRFLOW_HOME": home}
        for target in TARGETS.values():  # the first import may compile byte code: keep it out of the figures
            _probe(target, env)
        for _ in range(repeats):
            for key, target in TARGETS.items():
                samples[key].append(_probe(target, env))
    costs = {}
    for key, target in TARGETS.items():
        seconds = tuple(sample.seconds for sample in samples[key])
        costs[key] = ImportCost(
            target=target,
            seconds=statistics.median(seconds),
            samples=seconds,
            modules=samples[key][-1].modules,
            heavy_loaded=samples[key][-1].loaded,
        )
        progress(f"  {target:<42} +{costs[key].seconds * 1000:7.1f} ms, {costs[key].modules} modules")
    sdk = statistics.median(sample.sdk_seconds for runs in samples.values() for sample in runs)
    return ImportCostResult(sdk_seconds=sdk, costs=costs, repeats=repeats)
