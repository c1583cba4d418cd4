"""SVG snapshots of the main screens at 80x24 and 120x36, at a frozen time with fixed mail."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tempmail_tui.ui.screenshots import (
    Scene,
    build_scene,
    open_newsletter,
    rename_dialog,
    save_dialog,
    settle,
)

SIZES = {"80x24": (80, 24), "120x36": (120, 36)}
STEPS = {
    "main": settle,
    "reading-html": open_newsletter,
    "rename-dialog": rename_dialog,
    "save-dialog": save_dialog,
}


@pytest.fixture
def scene_factory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Scene]]:
    """Build scenes and stop their sandboxes afterwards."""
    scenes: list[Scene] = []
    # Paths on screen are shown from ~, so a home in the temporary folder keeps them stable.
    monkeypatch.setenv("HOME", str(tmp_path))

    def build(**kwargs: Any) -> Scene:
        scene = build_scene(tmp_path / f"scene{len(scenes)}", **kwargs)
        scenes.append(scene)
        return scene

    yield build
    for scene in scenes:
        scene.server.stop()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("step", STEPS)
def test_screen(
    step: str, size: str, snap_compare: Any, scene_factory: Callable[..., Scene]
) -> None:
    scene = scene_factory()

    async def run_before(pilot: Any) -> None:
        await STEPS[step](pilot, scene)

    assert snap_compare(scene.app, terminal_size=SIZES[size], run_before=run_before)


def test_quota_warning(snap_compare: Any, scene_factory: Callable[..., Scene]) -> None:
    scene = scene_factory(low_quota=True)

    async def run_before(pilot: Any) -> None:
        await settle(pilot, scene)

    assert snap_compare(scene.app, terminal_size=(120, 36), run_before=run_before)
