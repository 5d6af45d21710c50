"""The shape of the ``reference`` package, read from its source with ``ast`` (issue 10).

- Its modules import one another without a cycle, counting imports inside function
  bodies too (an import moved into a function hides a loop, it does not break it).
- An import inside a function is of an optional dependency only (CuPy, scikit-learn),
  never of the package itself or of NumPy.
- The package imports none of its oracles (torch, TensorFlow, Keras): they are
  test dependencies, and ``import reference`` must not load them.
- ``reference.naive``, the second oracle, takes nothing from the vectorised path but
  the public size formulas of ``reference.arithmetic``: it validates its own arguments,
  so one padding bug cannot reach both oracles.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import import_cycles

PACKAGE = "reference"
ROOT = Path(__file__).resolve().parents[2] / PACKAGE
MODULES = {(PACKAGE if path.stem == "__init__" else f"{PACKAGE}.{path.stem}"): path
           for path in sorted(ROOT.glob("*.py"))}
#: What naive may import from the package: the public formulas of arithmetic.
NAIVE_MAY_USE = {"reference.arithmetic": {"conv_output_size", "conv_transpose_output_size", "pool_output_size",
                                          "same_padding"}}


def imports(module):
    """``(imported module, names taken from it, line, inside a function)`` for every import of ``module``.

    Relative imports are resolved against the package; ``from . import name`` counts as an
    import of the submodule ``reference.name`` when there is one.
    """
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"), filename=str(MODULES[module]))
    in_function = {id(inner) for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                   for inner in ast.walk(node) if inner is not node}
    found = []
    for node in ast.walk(tree):
        nested = id(node) in in_function
        if isinstance(node, ast.Import):
            found += [(alias.name, (), node.lineno, nested) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                assert node.level == 1, f"{module}:{node.lineno}: an import from above the package"
                base = PACKAGE + (f".{base}" if base else "")
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in MODULES:
                    found.append((submodule, (), node.lineno, nested))
                else:
                    found.append((base, (alias.name,), node.lineno, nested))
    return found


def import_graph():
    """``{module: {imported module of the package: first line}}`` over every import, nested ones included."""
    return import_cycles.import_graph(
        MODULES, lambda module: ((target, line) for target, _, line, _ in imports(module)))


def test_the_cycle_finder_finds_a_cycle():
    assert import_cycles.find_cycle({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}}) == ["a", "b", "c", "a"]
    assert import_cycles.find_cycle({"a": {"b": 1}, "b": {}, "c": {"a": 1, "b": 1}}) is None


def test_the_graph_sees_relative_and_nested_imports():
    graph = import_graph()
    assert "reference.convolution" in graph[PACKAGE]  # from .convolution import conv1d, ...
    assert "reference.naive" in graph[PACKAGE]  # from . import naive, nn


def test_the_package_has_no_import_cycle():
    graph = import_graph()
    cycle = import_cycles.find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(
        f"{a} (line {graph[a][b]})" for a, b in zip(cycle, cycle[1:])) + f" -> {cycle[-1]}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_inside_functions_are_optional_dependencies_only(module):
    nested = [(target, line) for target, _, line, inside in imports(module) if inside]
    bad = [(target, line) for target, line in nested
           if target.split(".")[0] in (PACKAGE, "numpy")]
    assert not bad, f"{module}: imports inside functions that belong at the top: {bad}"


def test_naive_takes_only_public_formulas_from_the_package():
    taken = [(target, names, line) for target, names, line, _ in imports("reference.naive")
             if target.split(".")[0] == PACKAGE]
    bad = [(target, names, line) for target, names, line in taken
           if target not in NAIVE_MAY_USE or not names or not set(names) <= NAIVE_MAY_USE[target]]
    assert not bad, f"reference.naive imports from the vectorised path: {bad}"
    private = [(target, name) for target, names, _ in taken for name in names if name.startswith("_")]
    assert not private, private


def test_naive_names_no_private_object_of_another_module():
    """No ``module._name`` attribute access either (``from . import convolution`` is already refused)."""
    tree = ast.parse(MODULES["reference.naive"].read_text(encoding="utf-8"))
    own = {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    reached = {node.attr for node in ast.walk(tree)
               if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
               and isinstance(node.value, ast.Name) and node.value.id not in ("np", "self")}
    assert not reached - own, sorted(reached - own)


ORACLES = ("torch", "tensorflow", "keras")


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_an_oracle(module):
    taken = [(target, line) for target, _, line, _ in imports(module) if target.split(".")[0] in ORACLES]
    assert not taken, f"{module} imports a test oracle: {taken}"


def test_importing_reference_loads_no_oracle():
    code = "import sys, reference; print(sorted(m for m in %r if m in sys.modules))" % (ORACLES,)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT.parent, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
