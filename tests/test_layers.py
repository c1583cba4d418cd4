"""The import contracts of ARCHITECTURE.md: layers import one way and no module circle exists.

The graph is read from the source (every ``import`` statement, including those inside
functions and ``TYPE_CHECKING`` blocks), so a lazy import cannot hide a forbidden edge.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = "tempmail_tui"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE


@dataclass(frozen=True)
class Edge:
    """One import: the importing module, the imported module, and the name taken from it."""

    importer: str
    target: str
    name: str | None
    line: int

    def __str__(self) -> str:
        what = f"{self.target}.{self.name}" if self.name else self.target
        return f"{self.importer}:{self.line} imports {what}"


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(root: Path) -> dict[str, Path]:
    return {_module_name(path, root): path for path in sorted(root.rglob("*.py"))}


def edges_of(importer: str, source: str, known: Iterable[str]) -> Iterator[Edge]:
    """Every import of our own package in ``source``, resolved to a module where one exists."""
    modules = set(known)
    is_package = importer in modules and any(m.startswith(importer + ".") for m in modules)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    yield Edge(importer, alias.name, None, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = importer.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            if base.split(".")[0] != PACKAGE:
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                if sub in modules:
                    yield Edge(importer, sub, None, node.lineno)
                else:
                    yield Edge(importer, base, alias.name, node.lineno)


def import_graph(root: Path = ROOT) -> list[Edge]:
    """All imports between the package's modules."""
    modules = _modules(root)
    edges: list[Edge] = []
    for name, path in modules.items():
        edges.extend(edges_of(name, path.read_text(encoding="utf-8"), modules))
    return edges


def _within(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


# Front ends reach the store and the HTTP client only through the core's use cases.
_BELOW_THE_CORE = (
    "tempmail_tui.api.client",
    # The client's own parts, split out of api.client: as far below the core as it is.
    "tempmail_tui.api.checks",
    "tempmail_tui.api.download",
    "tempmail_tui.api.transport",
    "tempmail_tui.core.store_thread",
)
_STORE_INTERNALS = (
    "tempmail_tui.core.store.store",
    "tempmail_tui.core.store.connection",
    "tempmail_tui.core.store.mail_rows",
    "tempmail_tui.core.store.opening",
    "tempmail_tui.core.store.schema",
    "tempmail_tui.core.store.search",
    "tempmail_tui.core.store.sync",
)
#: The Python API is a front end: ``automation`` and the pytest plugin built on it.
PYTHON_API = ("tempmail_tui.automation", "tempmail_tui.pytest_plugin")
FRONT_ENDS = ("tempmail_tui.ui", "tempmail_tui.cli", *PYTHON_API)


def _front_end(module: str) -> str | None:
    """The front end a module belongs to (the Python API counts as one), or None."""
    for prefix in ("tempmail_tui.ui", "tempmail_tui.cli"):
        if _within(module, prefix):
            return prefix
    return "python-api" if _within(module, *PYTHON_API) else None


def violations(edges: Iterable[Edge]) -> list[str]:
    """Every edge that breaks a layer contract, described for the failure message."""
    found: list[str] = []
    for edge in edges:
        src, dst = edge.importer, edge.target
        if dst == PACKAGE and edge.name == "__version__":
            continue
        rule: str | None = None
        if dst == "tempmail_tui.console" and src != "tempmail_tui.__main__":
            rule = "only __main__ imports the console script, which sits above the front ends"
        elif _within(src, "tempmail_tui.errors"):
            rule = "errors imports nothing of ours"
        elif _within(src, "tempmail_tui.api") and not _within(
            dst, "tempmail_tui.api", "tempmail_tui.errors"
        ):
            rule = "api imports only api and errors"
        elif _within(src, "tempmail_tui.core") and not _within(
            dst, "tempmail_tui.core", "tempmail_tui.api", "tempmail_tui.errors"
        ):
            rule = "core never imports ui, cli, sandbox or a front end"
        elif _within(src, "tempmail_tui.sandbox") and _within(dst, *FRONT_ENDS):
            rule = "sandbox never imports a front end"
        elif _within(src, "tempmail_tui.ui") and _within(dst, "tempmail_tui.cli"):
            rule = "ui never imports cli"
        elif _within(src, "tempmail_tui.cli") and _within(dst, "tempmail_tui.ui"):
            rule = "cli never imports ui"
        elif _front_end(dst) not in (None, _front_end(src)) and _front_end(src) is not None:
            rule = "front ends never import each other (the Python API neither ui nor cli)"
        elif _within(src, "tempmail_tui.automation") and _within(dst, "tempmail_tui.sandbox"):
            # The pytest plugin starts the sandbox, as cli/sandbox.py does; the API never does.
            rule = "the Python API never imports the sandbox (only its pytest plugin does)"
        elif src == PACKAGE and not _within(dst, "tempmail_tui.automation"):
            rule = "the package root lends the Python API's names and imports nothing else"
        elif _within(src, "tempmail_tui.ui.screens", "tempmail_tui.ui.widgets") and _within(
            dst, "tempmail_tui.ui.app"
        ):
            rule = "screens and widgets see the app through ui.host, not ui.app"
        elif _within(src, *FRONT_ENDS) and (
            _within(dst, *_BELOW_THE_CORE, *_STORE_INTERNALS)
            or (dst == "tempmail_tui.core.store" and edge.name == "Store")
            or (dst == "tempmail_tui.api" and edge.name == "TempMailClient")
        ):
            rule = "front ends call the core's use cases, never the client or the store"
        if rule is not None:
            found.append(f"{edge}: {rule}")
    return found


def cycles(edges: Iterable[Edge]) -> list[list[str]]:
    """The module circles (strongly connected components larger than one module)."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        if edge.target == PACKAGE and edge.name == "__version__":
            # The root sets __version__ first and lends the Python API only in __getattr__:
            # reading the version cannot close a circle.
            continue
        if edge.importer != edge.target:
            graph.setdefault(edge.importer, set()).add(edge.target)
            graph.setdefault(edge.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_is_read() -> None:
    edges = import_graph()
    assert len(edges) > 100, "too few imports found for the walk to mean anything"
    assert any(e.importer == "tempmail_tui.ui.app" for e in edges)
    # The Python API and its plugin are read too (their imports are mostly lazy).
    assert any(e.importer == "tempmail_tui.automation.aio" for e in edges)
    assert any(
        e.importer == "tempmail_tui.pytest_plugin" and e.target.startswith("tempmail_tui.sandbox")
        for e in edges
    )


def test_the_plugin_may_start_the_sandbox_and_use_the_api() -> None:
    allowed = [
        Edge("tempmail_tui.pytest_plugin", "tempmail_tui.sandbox.server", None, 1),
        Edge("tempmail_tui.pytest_plugin", "tempmail_tui.automation", None, 1),
        Edge("tempmail_tui", "tempmail_tui.automation", None, 1),
    ]
    assert violations(allowed) == []


def test_layers_import_one_way() -> None:
    assert violations(import_graph()) == []


def test_no_module_circle() -> None:
    assert cycles(import_graph()) == []


@pytest.mark.parametrize(
    ("importer", "source", "rule"),
    [
        ("tempmail_tui.api.client", "from tempmail_tui.core.mail import MailService", "api"),
        ("tempmail_tui.core.mail", "import tempmail_tui.ui.app", "core never"),
        ("tempmail_tui.core.mail", "from tempmail_tui.sandbox import server", "core never"),
        ("tempmail_tui.cli.boxes", "from tempmail_tui.ui import app", "cli never imports ui"),
        ("tempmail_tui.ui.app", "from tempmail_tui.cli.errors import CliError", "ui never"),
        ("tempmail_tui.cli.tui", "from tempmail_tui.console import main", "only __main__"),
        ("tempmail_tui.cli.boxes", "from tempmail_tui.core.store import Store", "front ends"),
        ("tempmail_tui.cli.boxes", "from tempmail_tui.api.client import TempMailClient", "front"),
        ("tempmail_tui.automation.aio", "from tempmail_tui.core.store import Store", "front"),
        ("tempmail_tui.automation.aio", "import tempmail_tui.api.client", "front ends call"),
        ("tempmail_tui.automation.aio", "import tempmail_tui.core.store_thread", "front ends"),
        ("tempmail_tui.pytest_plugin", "from tempmail_tui.core.store import Store", "front"),
        ("tempmail_tui.automation.sync", "from tempmail_tui.ui import app", "never import each"),
        ("tempmail_tui.automation.sync", "from tempmail_tui.cli import main", "never import each"),
        ("tempmail_tui.pytest_plugin", "from tempmail_tui.cli import sandbox", "never import"),
        ("tempmail_tui.cli.boxes", "from tempmail_tui.automation import TempMail", "never"),
        ("tempmail_tui.ui.app", "from tempmail_tui.pytest_plugin import tempmail", "never"),
        ("tempmail_tui.automation.aio", "from tempmail_tui.sandbox import server", "sandbox"),
        ("tempmail_tui.sandbox.server", "from tempmail_tui.automation import aio", "sandbox"),
        ("tempmail_tui.core.mail", "from tempmail_tui.automation import aio", "core never"),
        ("tempmail_tui", "from tempmail_tui.core import mail", "package root"),
        (
            "tempmail_tui.ui.screens.main",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from tempmail_tui.ui.app import TempMailApp",
            "screens and widgets",
        ),
    ],
)
def test_a_forbidden_import_is_caught(importer: str, source: str, rule: str) -> None:
    known = set(_modules(ROOT)) | {importer, "tempmail_tui.ui.app", "tempmail_tui.api.client"}
    found = violations(edges_of(importer, source, known))
    assert found and rule in found[0]


def test_a_circle_through_the_package_root_is_still_caught() -> None:
    edges = [
        Edge("tempmail_tui", "tempmail_tui.automation", None, 1),
        Edge("tempmail_tui.automation", "tempmail_tui", "TempMail", 1),
        # Reading the version is no edge of a circle.
        Edge("tempmail_tui.api.client", "tempmail_tui", "__version__", 1),
    ]
    assert cycles(edges) == [["tempmail_tui", "tempmail_tui.automation"]]


def test_a_circle_is_caught() -> None:
    edges = [
        Edge("tempmail_tui.cli.a", "tempmail_tui.cli.b", None, 1),
        Edge("tempmail_tui.cli.b", "tempmail_tui.cli.c", None, 1),
        Edge("tempmail_tui.cli.c", "tempmail_tui.cli.a", None, 1),
        Edge("tempmail_tui.cli.c", "tempmail_tui.core.mail", None, 1),
    ]
    assert cycles(edges) == [["tempmail_tui.cli.a", "tempmail_tui.cli.b", "tempmail_tui.cli.c"]]
