"""Cold start in a real terminal (tmux): the app against the sandbox beside a reference app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import scenario
from .figures import Figure, median, ms
from .terminal import Pane, TerminalError, Tmux, cpu_seconds

APP = (scenario.PYTHON, "-m", "tempmail_tui")
REFERENCE = (scenario.PYTHON, "-m", "tests.bench.reference_app")
#: Bordered Statics and a footer: the least a Textual first frame of this shape costs.
FLOOR = (scenario.PYTHON, "-m", "tests.bench.floor_app")
TIMEOUT = 30.0
#: The app's first frame must come in this share of the reference's time (issue 14): what
#: the first frame does not show is composed after it.
FRAME_RATIO_TARGET = 0.8


def painted(screen: str) -> bool:
    """Whether a frame of either app is on screen: the panes' rounded borders are drawn."""
    return "╭" in screen and "╰" in screen


def footer_keys(screen: str) -> bool:
    """Whether the footer lists the key bindings (it fills in after the first frame)."""
    return "New box" in screen and "palette" in screen


@dataclass(frozen=True)
class Launch:
    """Seconds from launch to the first painted frame and to later milestones."""

    frame: float
    # CPU seconds the process had used when its first frame was seen: steadier than wall
    # time on a shared machine (it also counts what runs in the few ms before detection).
    frame_cpu: float
    footer: float
    boxes: float | None


def launch(
    tmux: Tmux, argv: tuple[str, ...], env: dict[str, str], boxes: Callable[[str], bool] | None
) -> Launch:
    """Start a program in a fresh session, time its milestones, then quit it."""
    pane: Pane = tmux.launch(argv, env, scenario.ROOT)
    try:
        frame = pane.wait_for(painted, timeout=TIMEOUT)
        frame_cpu = cpu_seconds(pane.pid, with_children=False)
        footer = pane.wait_for(footer_keys, timeout=TIMEOUT)
        listed = pane.wait_for(boxes, timeout=TIMEOUT) if boxes is not None else None
    finally:
        pane.quit()
    return Launch(frame, frame_cpu, footer, listed)


def run(*, pairs: int = 9) -> list[Figure]:
    """Launch the app, the reference and the floor in turn, each round in a rotating order."""
    programs = (APP, REFERENCE, FLOOR)
    with scenario.sandbox() as server, scenario.workdir("cold") as home, Tmux() as tmux:
        made, sandbox_boxes = scenario.create_boxes(server, 3)
        scenario.seed_store(scenario.store_path(home / "data"), sandbox_boxes)
        env = scenario.app_environment(server, home)

        def listed(screen: str) -> bool:
            return all(email in screen for email in made.emails)

        # One unmeasured launch each: byte-code caches and the page cache warm up.
        for argv in programs:
            launch(tmux, argv, env, listed if argv is APP else None)
        runs: dict[tuple[str, ...], list[Launch]] = {argv: [] for argv in programs}
        ratios: list[float] = []
        floors: list[float] = []
        for index in range(pairs):
            # Rotate which goes first, so a drift in machine load hits both alike.
            shift = index % len(programs)
            results: dict[tuple[str, ...], Launch] = {}
            for argv in programs[shift:] + programs[:shift]:
                try:
                    results[argv] = launch(tmux, argv, env, listed if argv is APP else None)
                except TerminalError as error:
                    raise TerminalError(f"launching {' '.join(argv[1:])}: {error}") from None
                runs[argv].append(results[argv])
            ratios.append(results[APP].frame / results[REFERENCE].frame)
            floors.append(results[FLOOR].frame / results[REFERENCE].frame)
    return [*_figures(runs[APP], runs[REFERENCE], ratios), _floor_figure(runs[FLOOR], floors)]


def _figures(apps: list[Launch], references: list[Launch], ratios: list[float]) -> list[Figure]:
    app_frame = median([a.frame for a in apps])
    reference_frame = median([r.frame for r in references])
    boxes = [a.boxes for a in apps if a.boxes is not None]
    return [
        Figure(
            "cold_start_ratio",
            "Cold start: first painted frame, app / reference",
            round(median(ratios), 3),
            "×",
            FRAME_RATIO_TARGET,
            detail=(
                f"median of {len(ratios)} interleaved runs in tmux 120x36, 3 known boxes, "
                f"sandbox API; app {ms(app_frame)} ms, reference {ms(reference_frame)} ms; "
                "ratios " + ", ".join(f"{r:.2f}" for r in ratios)
            ),
            samples=tuple(ratios),
        ),
        Figure(
            "cold_start_cpu_ratio",
            "Cold start: CPU used by the first painted frame, app / reference",
            round(
                median([a.frame_cpu for a in apps]) / median([r.frame_cpu for r in references]), 3
            ),
            "×",
            detail=(
                f"utime+stime of each process when its first frame was seen (10 ms ticks): app "
                f"{ms(median([a.frame_cpu for a in apps]))} ms, reference "
                f"{ms(median([r.frame_cpu for r in references]))} ms"
            ),
        ),
        Figure(
            "cold_start_app_ms",
            "Cold start: app, launch to first painted frame",
            ms(app_frame),
            "ms",
            detail=(
                f"median of {len(apps)}; footer keys shown at "
                f"{ms(median([a.footer for a in apps]))} ms, reference's at "
                f"{ms(median([r.footer for r in references]))} ms"
            ),
            samples=tuple(a.frame for a in apps),
        ),
        Figure(
            "cold_start_reference_ms",
            "Cold start: reference app, launch to first painted frame",
            ms(reference_frame),
            "ms",
            detail=f"median of {len(references)}: header, sidebar, table, reader pane, footer",
            samples=tuple(r.frame for r in references),
        ),
        Figure(
            "cold_start_boxes_ms",
            "Cold start: app, launch to the 3 known boxes listed",
            ms(median(boxes)),
            "ms",
            detail=f"median of {len(boxes)}: store opened, key found, boxes read",
            samples=tuple(boxes),
        ),
    ]


def _floor_figure(floors: list[Launch], ratios: list[float]) -> Figure:
    """How far under the reference a first frame drawn through Textual gets at all."""
    return Figure(
        "cold_start_floor_ratio",
        "Cold start: the floor (bordered Statics and a footer, nothing else) / reference",
        round(median(ratios), 3),
        "×",
        detail=(
            "tests/bench/floor_app.py, launched in the same rounds: "
            f"{ms(median([f.frame for f in floors]))} ms to its first frame, CPU "
            f"{ms(median([f.frame_cpu for f in floors]))} ms; ratios "
            + ", ".join(f"{r:.2f}" for r in ratios)
        ),
        samples=tuple(ratios),
    )
