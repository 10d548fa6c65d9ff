"""What every benchmark shares: the figure record, the load average, the JSON it prints.

A benchmark run with ``--json`` prints one object with a ``figures`` list; each
figure is a measured value next to the baseline it is compared with, measured in
the same run (``ratio`` = value / baseline), and optionally its target. ``bench/run.py``
(``make bench``) collects them into ``bench/results.json``; ``bench/tables.py`` turns
that file into the performance tables of ``docs/performance.md``. ``--smoke`` runs a
benchmark at tiny sizes in seconds: the test suite runs every benchmark that way.
"""

from __future__ import annotations

import json
import os
from typing import Any


def figure(
    name: str,
    value: float,
    unit: str = "s",
    *,
    baseline: float | None = None,
    baseline_name: str | None = None,
    target: str | None = None,
) -> dict[str, Any]:
    """One measured figure; ``baseline`` is what it is compared with in the same run."""
    ratio = value / baseline if baseline else None
    return {
        "name": name,
        "value": round(value, 4),
        "unit": unit,
        "baseline": None if baseline is None else round(baseline, 4),
        "baseline_name": None if baseline is None else baseline_name,
        "ratio": None if ratio is None else round(ratio, 3),
        "target": target,
    }


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def print_load(label: str, load: list[float]) -> None:
    """Printed by every benchmark so a noisy run is visible: above the core count, other work competed."""
    print(f"load average {label}: {' / '.join(f'{x:.2f}' for x in load)} (1/5/15 min) on {os.cpu_count()} cores")


def emit(report: dict[str, Any], figures: list[dict[str, Any]]) -> None:
    """The ``--json`` output: the benchmark's details plus its figures."""
    print(json.dumps({**report, "figures": figures}, indent=1, default=str))


def print_figures(figures: list[dict[str, Any]]) -> None:
    """A plain table of figures (what `--smoke` prints without `--json`)."""
    for fig in figures:
        ratio = f"  {fig['ratio']:.2f}x {fig['baseline_name']}" if fig["ratio"] is not None else ""
        target = f"  target {fig['target']}" if fig["target"] else ""
        print(f"{fig['name']}: {fig['value']:.3f} {fig['unit']}{ratio}{target}")
