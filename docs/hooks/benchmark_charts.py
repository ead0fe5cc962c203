"""MkDocs hook: the Benchmarks page's charts, drawn at build time from benchmarks/results.json.

`make bench` writes results.json beside RESULTS.md from the same figures as its tables. Each chart here is
an SVG drawn with matplotlib into the built site (a generated file, so links to it are checked like any
other), and the marker `<!-- benchmark-charts -->` on the page becomes the charts with their captions. A
chart whose scenario is missing from the JSON (an older run, or a scenario added later) is replaced by a
note saying so; it never breaks the build.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

MARKER = "<!-- benchmark-charts -->"
RESULTS = Path("benchmarks") / "results.json"
CHART_DIR = "assets/charts"
PAGE = "benchmarks.md"

Figures = dict[str, Any]

_VARIANT_LABELS = {
    "auto": 'operator, return_records="auto" (defaults)',
    "all": 'operator, "all"',
    "failed": 'operator, "failed"',
    "none": 'operator, "none"',
    "results_path": "operator, auto + results_path",
}


def _figure(width: float, height: float) -> Figure:
    """A figure of matplotlib's object API: no pyplot, no GUI backend, nothing global."""
    return Figure(figsize=(width, height))


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buffer.getvalue()


def _log_axes(axes: Any, ylabel: str) -> None:
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("records (N)")
    axes.set_ylabel(ylabel)
    axes.grid(True, which="major", alpha=0.3)
    for axis in (axes.xaxis, axes.yaxis):
        axis.set_minor_formatter(NullFormatter())  # decades only: the minor labels overlap


def time_and_memory(figures: Figures) -> str | None:
    """Seconds and peak memory against N: the client alone, and the operator in a deployment per choice."""
    clients = [row for row in figures.get("client_alone", []) if not row["sink"]]
    operators = [row for row in figures.get("operator", []) if row["mode"] == "deployment"]
    if not clients or not operators:
        return None
    figure = _figure(11, 4.2)
    time_axes, memory_axes = figure.subplots(1, 2)
    clients.sort(key=lambda row: row["size"])
    time_axes.plot([r["size"] for r in clients], [r["seconds"] for r in clients], "k-o", label="client alone")
    memory_axes.plot(
        [r["size"] for r in clients], [r["peak_mb"] for r in clients], "k-o", label="client alone"
    )
    for variant, label in _VARIANT_LABELS.items():
        rows = sorted((r for r in operators if r["variant"] == variant), key=lambda row: row["size"])
        timed = [r for r in rows if r["execute_seconds"] is not None and r["push_seconds"] is not None]
        if timed:
            spent = [r["execute_seconds"] + r["push_seconds"] for r in timed]
            time_axes.plot([r["size"] for r in timed], spent, "-o", label=label)
        measured = [r for r in rows if r["runner_peak_mb"] is not None]
        if measured:
            peaks = [r["runner_peak_mb"] for r in measured]
            memory_axes.plot([r["size"] for r in measured], peaks, "-o", label=label)
    _log_axes(time_axes, "seconds (operator: execute + XCom push)")
    _log_axes(memory_axes, "peak MB (operator: the task runner)")
    time_axes.set_title("Time")
    memory_axes.set_title("Peak memory")
    handles, labels = time_axes.get_legend_handles_labels()
    figure.legend(handles, labels, fontsize=8, loc="lower center", ncol=3, bbox_to_anchor=(0.5, -0.16))
    return _svg(figure)


def calls_and_grants(figures: Figures) -> str | None:
    """API calls per way at the largest N, and token grants for a fan-out of task processes."""
    ways = figures.get("tag_removal", [])
    fanout = figures.get("fanout", [])
    if not ways or not fanout:
        return None
    largest = max(row["size"] for row in ways)
    at_largest = [row for row in ways if row["size"] == largest]
    figure = _figure(11, 3.8)
    calls_axes, grants_axes = figure.subplots(1, 2)
    labels = [f"({row['way']}) {row['label']}" for row in at_largest]
    bars = calls_axes.barh(
        labels, [row["calls"] for row in at_largest], color=["#3f51b5", "#c62828", "#ef6c00"]
    )
    calls_axes.bar_label(bars, labels=[f"{row['calls']:,}" for row in at_largest], padding=3)
    calls_axes.set_xscale("log")
    calls_axes.invert_yaxis()
    calls_axes.set_xlabel(f"API calls to remove two tags from {largest:,} records (log scale)")
    calls_axes.set_title("API calls")
    names = {
        "client": "provider client, shared token cache",
        "handwritten": "a token per task (hand-written)",
    }
    granted = [row["token_grants"] for row in fanout]
    denied = [row["access_denied"] for row in fanout]
    fan_labels = [names.get(row["way"], row["way"]) for row in fanout]
    grants_axes.barh(fan_labels, granted, color="#3f51b5", label="token grants")
    grants_axes.barh(fan_labels, denied, left=granted, color="#c62828", label="refused by Zoho's budget")
    grants_axes.invert_yaxis()
    grants_axes.set_xlabel(f"token requests of {fanout[0]['tasks']} task processes starting together")
    grants_axes.set_title("Token grants (Zoho allows 10 per 10 minutes)")
    grants_axes.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    return _svg(figure)


def _shared_cap_runs(figures: Figures) -> list[dict[str, Any]]:
    """The shared-cap scenario's runs, each {"mode", "concurrency", "rejected", "records_per_second"}."""
    scenario = figures.get("shared_cap")
    runs: list[dict[str, Any]] = scenario.get("runs", []) if isinstance(scenario, dict) else []
    return runs


def _shared_cap_bars(runs: list[dict[str, Any]], rejected_axes: Any, throughput_axes: Any) -> None:
    modes = [f"{run['mode']}\n({run['concurrency']} asked)" for run in runs]
    colours = ["#c62828", "#3f51b5", "#ef6c00", "#2e7d32"][: len(runs)]
    rejected_axes.bar(modes, [run["rejected"] for run in runs], color=colours)
    throughput_axes.bar(modes, [run["records_per_second"] for run in runs], color=colours)
    for axes in (rejected_axes, throughput_axes):
        axes.set_xlabel("calls in flight asked for, by every task together")


def _shared_cap_lines(
    runs: list[dict[str, Any]], rejected_axes: Any, throughput_axes: Any, cap: int | None
) -> None:
    for mode in dict.fromkeys(run["mode"] for run in runs):
        mine = sorted((run for run in runs if run["mode"] == mode), key=lambda run: run["concurrency"])
        asked = [run["concurrency"] for run in mine]
        rejected_axes.plot(asked, [run["rejected"] for run in mine], "-o", label=mode)
        throughput_axes.plot(asked, [run["records_per_second"] for run in mine], "-o", label=mode)
    for axes in (rejected_axes, throughput_axes):
        axes.set_xlabel("calls in flight asked for (every task together)")
        if cap:
            axes.axvline(cap, color="grey", linestyle="--", label=f"the org's cap ({cap})")


def shared_cap(figures: Figures) -> str | None:
    """429s and throughput against the calls in flight asked for, per mode, under the org's cap.

    Reads `shared_cap`: {"cap": calls in flight the org allows, "floor_records_per_second": the most the cap
    lets through (optional), "runs": [{"mode": "fixed" or "adaptive", "concurrency": calls in flight asked
    for by every task together, "rejected": 429s, "records_per_second": ...}, ...]}.
    """
    runs = _shared_cap_runs(figures)
    if not runs:
        return None
    scenario = figures["shared_cap"]
    figure = _figure(11, 3.8)
    rejected_axes, throughput_axes = figure.subplots(1, 2)
    if len({run["mode"] for run in runs}) == len(runs):  # one run per mode: side by side
        _shared_cap_bars(runs, rejected_axes, throughput_axes)
    else:
        _shared_cap_lines(runs, rejected_axes, throughput_axes, scenario.get("cap"))
    floor = scenario.get("floor_records_per_second")
    if floor:
        throughput_axes.axhline(floor, color="grey", linestyle=":", label="the cap's ceiling")
    rejected_axes.set_ylabel("429s from the org's cap")
    rejected_axes.set_title("429s")
    throughput_axes.set_ylabel("records per second")
    throughput_axes.set_title("Throughput")
    for axes in (rejected_axes, throughput_axes):
        axes.grid(True, axis="y", alpha=0.3)
        if axes.get_legend_handles_labels()[0]:
            axes.legend(fontsize=8)
    figure.tight_layout()
    return _svg(figure)


# (file name, caption, what it needs in results.json, drawing)
CHARTS: tuple[tuple[str, str, str, Callable[[Figures], str | None]], ...] = (
    (
        "time-and-memory.svg",
        "Time and peak memory against the number of records: the client alone, and RemoveTagsOperator in a "
        "real deployment for each `return_records` choice (scenarios 4 and 5).",
        "`client_alone` and `operator`",
        time_and_memory,
    ),
    (
        "calls-and-grants.svg",
        "API calls against the hand-written ways, and token grants when task processes start together "
        "(scenarios 1 and 2).",
        "`tag_removal` and `fanout`",
        calls_and_grants,
    ),
    (
        "shared-cap.svg",
        "429s and throughput against concurrency under the org's cap on calls in flight (the shared-cap "
        "scenario).",
        "`shared_cap`",
        shared_cap,
    ),
)


def load_figures(root: Path) -> Figures | None:
    path = root / RESULTS
    if not path.is_file():
        return None
    loaded: Figures = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def tables_date(root: Path) -> str | None:
    """When RESULTS.md says its run was ("on 2026-12-01 23:14 UTC"), to compare with the JSON's."""
    path = root / RESULTS.with_name("RESULTS.md")
    found = (
        re.search(r" on (\d{4}-\d\d-\d\d \d\d:\d\d UTC),", path.read_text(encoding="utf-8"))
        if path.is_file()
        else None
    )
    return found.group(1) if found else None


def charts_markdown(figures: Figures | None, drawn: set[str], tables_date: str | None = None) -> str:
    """What replaces the marker: each chart drawn, or a note for each one its data is missing for."""
    if figures is None:
        return (
            f"!!! note\n    No `{RESULTS.as_posix()}` yet: `make bench` writes it, and the charts with it.\n"
        )
    environment = figures.get("environment", {})
    date = environment.get("date", "date unknown")
    parts = [
        f"Drawn from `{RESULTS.as_posix()}`, which `make bench` writes with the tables below "
        f"(the run of {date}, commit {environment.get('revision', 'unknown')}).",
    ]
    if tables_date is not None and tables_date != date:
        parts.append(
            f"!!! warning\n    The tables below are from another run ({tables_date}): run `make bench` to "
            "bring both up to date."
        )
    for name, caption, needs, _ in CHARTS:
        if name in drawn:
            parts.append(f"![{caption}]({CHART_DIR}/{name})\n\n*{caption}*")
        else:
            parts.append(f"!!! note\n    Not drawn: this run's results.json has no {needs}. {caption}")
    return "\n\n".join(parts) + "\n"


class _State:
    figures: Figures | None = None
    drawn: set[str] = set()  # noqa: RUF012  # one build's charts, replaced on each build


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Draw every chart whose data is there, as generated files of the site."""
    _State.figures = load_figures(Path(config.config_file_path).parent)
    _State.drawn = set()
    if _State.figures is None:
        return files
    for name, _, _, draw in CHARTS:
        # Output that does not change between builds: fixed ids, text as text (no date: see _svg).
        with matplotlib.rc_context({"svg.hashsalt": "bigin-docs", "svg.fonttype": "none", "font.size": 10}):
            svg = draw(_State.figures)
        if svg is not None:
            files.append(File.generated(config, f"{CHART_DIR}/{name}", content=svg))
            _State.drawn.add(name)
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    if page.file.src_uri != PAGE or MARKER not in markdown:
        return markdown
    root = Path(config.config_file_path).parent
    return markdown.replace(MARKER, charts_markdown(_State.figures, _State.drawn, tables_date(root)))
