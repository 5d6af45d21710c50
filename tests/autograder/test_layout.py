"""The shape of the ``autograder`` package, read from its source with ``ast`` (issue 10).

- Its modules import one another without a cycle, counting imports inside function
  bodies too (an import moved into a function hides a loop, it does not break it);
  the checks modules never import the registry that loads them by name.
- An import inside a function is never of the package itself, except where ``cli``
  turns a failed command's database error into one line (it says why).
- The folders are floors: a module imports only from its own folder or the floors
  below it (``docs/architecture.md``), so the calls of one submission go down through
  the stages and come back up only to the pipeline.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import import_cycles

ROOT = Path(__file__).resolve().parents[2] / "autograder"
MODULES = {}
for _path in sorted(ROOT.rglob("*.py")):
    _parts = _path.relative_to(ROOT.parent).with_suffix("").parts
    if "kernel" in _parts or _path.name == "nbgrader_config.py":  # convgrade_kernel; a config file
        continue
    MODULES[".".join(_parts[:-1] if _parts[-1] == "__init__" else _parts)] = _path

#: Floors, top down: a module may import from its own floor's folders and every floor below.
FLOORS = [
    {"autograder.cli"},
    {"autograder.commands"},
    {"autograder.demo"},
    {"autograder.publish", "autograder.intake", "autograder.classroom"},
    {"autograder.pipeline"},
    {"autograder.isolation"},
    {"autograder.judging"},
    {"autograder.language", "autograder.inert", "autograder.course"},
    {"autograder.records", "autograder.errors", "autograder"},
]
#: Imports inside functions that belong there, with the reason given beside them.
NESTED_ALLOWED = {("autograder.cli", "autograder.commands"), ("autograder.cli", "autograder.pipeline.record"),
                  # score_check runs inside stock nbgrader kernels: the notebook stages load only to score a notebook
                  ("autograder.pipeline.score", "autograder.pipeline.rebuild")}


def imports(module):
    """``(imported module, line, inside a function)`` for every import of ``autograder`` in ``module``."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"), filename=str(MODULES[module]))
    in_function = {id(inner) for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                   for inner in ast.walk(node) if inner is not node}
    found = []
    for node in ast.walk(tree):
        nested = id(node) in in_function
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno, nested) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert not node.level, f"{module}:{node.lineno}: a relative import"
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.append((submodule if submodule in MODULES else node.module, node.lineno, nested))
    return [(target, line, nested) for target, line, nested in found if target.split(".")[0] == "autograder"]


def import_graph():
    """``{module: {imported module of the package: first line}}`` over every import, nested ones included."""
    return import_cycles.import_graph(
        MODULES, lambda module: ((target, line) for target, line, _ in imports(module)))


def floor(module):
    """The index in :data:`FLOORS` of the folder (or top-level module) ``module`` belongs to."""
    for index, names in enumerate(FLOORS):
        if any(module == name or module.startswith(name + ".") for name in names - {"autograder"}):
            return index
    assert module == "autograder", f"{module} is on no floor: add its folder to FLOORS"
    return len(FLOORS) - 1


def test_the_cycle_finder_finds_a_cycle():
    assert import_cycles.find_cycle({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}}) == ["a", "b", "c", "a"]
    assert import_cycles.find_cycle({"a": {"b": 1}, "b": {}, "c": {"a": 1, "b": 1}}) is None


def test_the_graph_sees_the_stages():
    graph = import_graph()
    for stage in ("rebuild", "plan", "execute", "score", "feedback"):
        assert f"autograder.pipeline.{stage}" in graph["autograder.pipeline.grade"], stage


def test_the_package_has_no_import_cycle():
    graph = import_graph()
    cycle = import_cycles.find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(
        f"{a} (line {graph[a][b]})" for a, b in zip(cycle, cycle[1:])) + f" -> {cycle[-1]}"


def test_checks_modules_do_not_import_the_registry_that_loads_them():
    graph = import_graph()
    for module in MODULES:
        if module.startswith("autograder.judging.checks."):
            assert "autograder.judging.registry" not in graph[module], module


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_inside_functions_are_not_of_the_package(module):
    bad = [(target, line) for target, line, nested in imports(module)
           if nested and (module, target) not in NESTED_ALLOWED]
    assert not bad, f"{module}: imports inside functions that belong at the top: {bad}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_from_its_floor_or_below(module):
    up = [(target, line) for target, line, _ in imports(module)
          if target in MODULES and floor(target) < floor(module)]
    assert not up, f"{module} (floor {floor(module)}) imports from a floor above it: {up}"


def test_the_stock_nbgrader_kernel_path_loads_no_notebook_machinery():
    """Under stock nbgrader a hidden check runs in the student's kernel, which imports
    autograder.pipeline.in_process (convgrade_kernel.check's fallback). nbgrader, nbformat and
    nbconvert loaded there cost every stock-graded notebook 3.4-4.5 s (the stock baseline of
    benchmarks/bench_grading.py went from 1.7 s to 5-7 s a notebook)."""
    code = ("import sys, autograder.pipeline.in_process; "
            "print(sorted(m for m in ('nbgrader', 'nbformat', 'nbconvert', 'sqlalchemy', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out
