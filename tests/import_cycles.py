"""The import graph of a package and one cycle in it: shared by the layout tests of
``autograder`` (tests/autograder/test_layout.py) and ``reference`` (tests/reference/test_module_graph.py)."""
from __future__ import annotations


def import_graph(modules, imported_by):
    """``{module: {imported module of ``modules``: first line}}``; ``imported_by(module)``
    yields ``(target, line)`` for every import of ``module``, nested ones included."""
    graph = {module: {} for module in modules}
    for module in modules:
        for target, line in imported_by(module):
            if target in modules and target != module:
                graph[module].setdefault(target, line)
    return graph


def find_cycle(graph):
    """One import cycle as a list of modules (first == last), or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return stack[stack.index(target):] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None
