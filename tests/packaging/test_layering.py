"""The package's layering: no import cycle between its modules, and a plugin that loads neither boto3 nor the domain.

The import graph is read from the source (every ``import`` statement, at module level or inside a function), so
a cycle hidden behind a lazy import counts too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "plugins" / "iam_lifecycle"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Each module of the package -> the package's modules it imports (a package counts as its ``__init__``)."""
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        graph[name] = {target for target in imported if target in modules and target != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle found by a depth-first walk (each reported once, from where the walk first closes it)."""
    found, done = [], set()

    def walk(node: str, path: list[str]) -> None:
        for target in sorted(graph[node]):
            if target in path:
                found.append(path[path.index(target) :] + [target])
            elif target not in done:
                walk(target, path + [target])
        done.add(node)

    for start in sorted(graph):
        if start not in done:
            walk(start, [start])
    return found


def test_no_module_of_the_package_imports_itself_back():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle_through_a_lazy_import():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]


def test_the_plugin_module_loads_neither_boto3_nor_the_domain():
    """Airflow's API server and scheduler import the plugin; it must stay light and free of AWS."""
    code = (
        "import sys, iam_lifecycle.plugin\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'boto3', 'botocore'} or m.startswith("
        "('iam_lifecycle.aws', 'iam_lifecycle.offboarding', 'iam_lifecycle.reconciliation', "
        "'iam_lifecycle.provisioning', 'iam_lifecycle.approval')))\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PACKAGE.parent
    )
    assert result.stdout.strip() == ""


#: The project's Python: the package, the DAG files, the stand-ins, the local stacks, the benchmarks and the tests.
PROJECT_FOLDERS = ("plugins", "dags", "sandbox", "local", "benchmarks", "tests", "scripts")
MAX_MODULE_LINES = 300


def test_no_module_of_the_project_is_over_300_lines():
    root = PACKAGE.parents[1]
    too_long = {
        str(path.relative_to(root)): lines
        for folder in PROJECT_FOLDERS
        for path in (root / folder).rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert too_long == {}
