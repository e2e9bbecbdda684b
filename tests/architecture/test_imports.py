"""The project's import graph: no circle anywhere, and dependencies run one way.

Reads every module's imports with ``ast`` (function-level imports included, since a lazy
import is still a dependency) and checks two rules a newcomer can rely on:

- no import circle between any two project modules;
- apps depend one way (accounts ← outbox core ← criteria ← guardrails ← metrics ← sampling),
  and inside metrics the
  data's way: base (models, weeks, access, selectors) ← ingest ← detection ← alerts ←
  reporting ← the doors (views, API, tasks, commands, template tags).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("accounts", "config", "criteria", "guardrails", "metrics", "outbox", "sampling")

# Lower number = lower layer; a module may import only modules of its own or a lower layer.
LAYERS = [
    ("config.jobs", 0),
    ("config.freshness", 0),
    ("config.page_cache", 0),
    ("config.celery", 0),
    ("config.logging", 0),
    ("config.settings", 0),
    ("config.api_parsers", 0),  # the API's parsers, which every app's API uses
    ("config.middleware", 0),
    ("accounts", 1),
    # The outbox's core sits under criteria, which emits `criteria.agreed` through it.
    ("outbox.models", 1.5),
    ("outbox.signing", 1.5),
    ("outbox.addresses", 1.5),
    ("outbox.services", 1.5),
    ("outbox.tasks", 1.5),
    ("outbox.apps", 1.5),
    ("outbox.migrations", 1.5),
    ("criteria", 2),
    # Guardrails sit between criteria and metrics (a review's pause calls them), and so do
    # the outbox's settings pages (webhook endpoints, delivery log).
    ("guardrails", 2.5),
    ("outbox", 2.5),
    ("metrics.models", 3),
    ("metrics.caution", 3),  # registered with guardrails when metrics starts
    ("metrics.weeks", 3),
    ("metrics.access", 3),
    ("metrics.selectors", 3),
    ("metrics.admin", 3),
    ("metrics.apps", 3),
    ("metrics.migrations", 3),
    ("metrics.ingest", 4),
    # A data migration that judges the stored survey comments again with the ingest's own
    # judgement (metrics.ingest.complaints) belongs to the ingest; nothing imports it.
    ("metrics.migrations.0012_reflag_survey_complaints", 4),
    ("metrics.migrations.0013_reflag_survey_complaints_round_8", 4),
    ("metrics.detection", 5),
    ("metrics.alerts", 6),
    ("metrics.reporting", 7),
    ("metrics", 8),  # the doors: views, api, forms, tasks, urls, commands, template tags
    ("sampling", 9),
    ("config", 10),  # urls, views, api_urls, wsgi/asgi: the project's entry points
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            found[module_name(path)] = path
    return found


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from pkg import mod` depends on pkg.mod when that is a module, else on pkg.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def layer_of(name: str) -> int:
    best = max(
        (prefix for prefix, _ in LAYERS if name == prefix or name.startswith(prefix + ".")),
        key=len,
    )
    return dict(LAYERS)[best]


def test_the_cycle_finder_finds_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_sees_lazy_and_relative_imports():
    graph = import_graph()
    assert "metrics.models" in graph["metrics.detection.indicators"]
    assert "config.jobs" in graph["metrics.ingest.services"]


def test_the_project_has_no_import_circle():
    assert cycles(import_graph()) == []


def test_dependencies_run_one_way():
    wrong = [
        f"{name} imports {target}"
        for name, targets in sorted(import_graph().items())
        for target in sorted(targets)
        if layer_of(target) > layer_of(name)
    ]
    assert wrong == []


@pytest.mark.parametrize("package", ["ingest", "detection", "alerts", "reporting"])
def test_each_room_of_metrics_says_what_it_owns(package):
    doc = ast.get_docstring(ast.parse((ROOT / "metrics" / package / "__init__.py").read_text()))
    assert doc and "import" in doc
