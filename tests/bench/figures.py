"""Benchmark figures: what was measured, against which target, as a table and as JSON."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

Comparison = Literal["<=", ">=", "=="]


@dataclass(frozen=True)
class Figure:
    """One measured figure, its target (if it has one) and how it was obtained."""

    key: str
    label: str
    value: float | None
    unit: str
    target: float | None = None
    comparison: Comparison = "<="
    detail: str = ""
    samples: tuple[float, ...] = field(default=(), repr=False)

    @property
    def met(self) -> bool | None:
        """Whether the target is met; None when there is no target or no value."""
        if self.target is None or self.value is None:
            return None
        if self.comparison == "<=":
            return self.value <= self.target
        if self.comparison == ">=":
            return self.value >= self.target
        return self.value == self.target

    def as_json(self) -> dict[str, Any]:
        """The figure as a JSON-ready mapping, with the verdict."""
        data = asdict(self)
        data["samples"] = [round(s, 4) for s in self.samples]
        data["met"] = self.met
        return data


def median(values: Sequence[float]) -> float:
    """The median of a non-empty sequence."""
    if not values:
        raise ValueError("no samples")
    return float(statistics.median(values))


def worst(values: Sequence[float]) -> float:
    """The largest of a non-empty sequence."""
    if not values:
        raise ValueError("no samples")
    return float(max(values))


def ms(seconds: float) -> float:
    """Seconds as milliseconds, rounded to a tenth."""
    return round(seconds * 1000.0, 1)


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    text = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}" if value else "0"
    return f"{text} {unit}".rstrip()


def _verdict(met: bool | None) -> str:
    return {True: "yes", False: "NO", None: "—"}[met]


def table(figures: Iterable[Figure]) -> str:
    """The figures as a plain-text table: figure, value, target, met."""
    rows = [("figure", "value", "target", "met?")]
    for figure in figures:
        target = (
            f"{figure.comparison} {_number(figure.target, figure.unit)}"
            if figure.target is not None
            else "—"
        )
        rows.append(
            (figure.label, _number(figure.value, figure.unit), target, _verdict(figure.met))
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def markdown_table(figures: Iterable[Figure]) -> str:
    """The figures as a Markdown table with how each was measured."""
    lines = ["| figure | value | target | met? | how |", "| --- | --- | --- | --- | --- |"]
    for figure in figures:
        target = (
            f"{figure.comparison} {_number(figure.target, figure.unit)}"
            if figure.target is not None
            else "—"
        )
        detail = figure.detail.replace("|", "/")
        lines.append(
            f"| {figure.label} | {_number(figure.value, figure.unit)} | {target} | "
            f"{_verdict(figure.met)} | {detail} |"
        )
    return "\n".join(lines)


def reference_workload() -> float:
    """Seconds of CPU for a fixed pure-Python task (median of 5): how fast the machine runs now."""
    timings = []
    for _ in range(5):
        started = time.process_time()
        total = 0
        for number in range(300_000):
            total += number * number % 7
        timings.append(time.process_time() - started)
    return median(timings)


def machine() -> dict[str, Any]:
    """Where the figures were measured."""
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def write_results(path: Path, figures: Sequence[Figure], *, merge: bool) -> None:
    """Write the figures to ``path``; with ``merge``, keep earlier figures not measured now."""
    previous: dict[str, Any] = {}
    if merge and path.exists():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            previous = {f["key"]: f for f in loaded.get("figures", []) if "key" in f}
        except (OSError, ValueError, AttributeError):
            previous = {}
    fresh = {figure.key: figure.as_json() for figure in figures}
    ordered = [*fresh.values(), *(f for key, f in previous.items() if key not in fresh)]
    document = {"machine": machine(), "figures": ordered}
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
