"""Find library convolutions in a student's answer cells by reading their source.

The kernel-side tripwire (``convgrade_kernel.probe``) sees calls made through a
module attribute while a check runs; it cannot see a function bound before it was
patched (``from scipy.signal import correlate2d``) or a module imported under
another name. This scan reads the answer cells with :mod:`ast` instead:

- it follows imports and aliases (``import numpy as np``, ``from scipy import signal``,
  ``f = np.convolve``, ``getattr(np, "convolve")``, ``importlib.import_module("torch")``);
- every *reference* to a forbidden name is a :class:`Finding`, called or not, with the
  top-level function (or module-level name) it sits in;
- :meth:`LibraryScan.reachable` keeps the findings in the functions a check calls and
  in everything those functions reference, across cells, so a helper that calls
  ``scipy.signal.correlate2d`` convicts the ``conv2d`` that uses it, and an unused
  ``import torch`` convicts nothing.

Forbidden: :data:`autograder.judging.contract.LIBRARY_CONVOLUTIONS`, anything named like a
convolution in NumPy or SciPy (``numpy.*.convolve``), and whole libraries that are
convolutions by another name (:data:`FORBIDDEN_MODULES`).
"""
from __future__ import annotations

import ast
import collections
import re
from dataclasses import dataclass, field

from autograder.judging.contract import LIBRARY_CONVOLUTIONS

#: Libraries whose every use counts: deep-learning frameworks, scipy.signal, and the
#: grader's own reference implementation.
FORBIDDEN_MODULES = ("torch", "reference", "scipy.signal", "tensorflow", "keras", "jax")
CONVOLUTION_NAMES = frozenset({"convolve", "correlate", "convolve1d", "correlate1d", "convolve2d",
                               "correlate2d", "fftconvolve", "oaconvolve", "convolve_fft"})
_MAGIC = re.compile(r"^\s*[%!]")


def is_forbidden(qualified):
    """Whether the dotted name ``qualified`` is a library convolution."""
    if qualified in LIBRARY_CONVOLUTIONS:
        return True
    if any(qualified == m or qualified.startswith(m + ".") for m in FORBIDDEN_MODULES):
        return True
    parts = qualified.split(".")
    return parts[0] in ("numpy", "scipy") and parts[-1] in CONVOLUTION_NAMES


@dataclass
class Finding:
    """One reference to a library convolution in an answer cell."""

    grade_id: str
    line: int
    name: str            # the qualified name, e.g. "scipy.signal.correlate2d"
    function: str | None  # the top-level def (or module-level name) it is in; None: loose code
    text: str = ""

    def describe(self):
        where = "in %s" % self.function if self.function else "at the top level"
        return "%s (answer cell %s, line %d, %s)" % (self.name, self.grade_id, self.line, where)


@dataclass
class LibraryScan:
    """The findings of :func:`scan_answers` and the name graph of the answer cells."""

    findings: list = field(default_factory=list)
    references: dict = field(default_factory=dict)  # top-level name -> names it references

    def by_grade_id(self):
        """``{grade_id: [Finding, ...]}``."""
        grouped = {}
        for finding in self.findings:
            grouped.setdefault(finding.grade_id, []).append(finding)
        return grouped

    def reachable(self, roots):
        """The findings in ``roots`` (function names a check calls) and in every
        top-level name they reference, transitively."""
        seen, todo = set(), [r for r in roots if r]
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            todo.extend(self.references.get(name, ()))
        return [f for f in self.findings if f.function in seen]


def scan_answers(cells):
    """Scan answer cells, in notebook order.

    Parameters
    ----------
    cells : iterable of (grade_id, source)
        The student's answer cells; aliases made in one carry into the next, as in
        the kernel.
    """
    scan = LibraryScan()
    aliases = {}
    for grade_id, source in cells:
        lines = source.splitlines()
        cleaned = "\n".join("" if _MAGIC.match(line) else line for line in lines)
        try:
            tree = ast.parse(cleaned)
        except (SyntaxError, ValueError):
            continue  # a cell that does not parse defines nothing in the kernel either
        for node in tree.body:
            owner_names = _defined_names(node)
            owner = owner_names[0] if owner_names else None
            visitor = _Visitor(aliases, grade_id, owner, lines)
            visitor.visit(node)
            scan.findings.extend(visitor.findings)
            for name in owner_names:
                scan.references.setdefault(name, set()).update(visitor.referenced)
            _update_aliases(node, aliases)
    return scan


def _defined_names(node):
    """Top-level names a statement binds (a def, a class, ``name = ...``)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    targets = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    names = []
    for target in targets:
        for sub in ast.walk(target):
            if isinstance(sub, ast.Name):
                names.append(sub.id)
    return names


def _update_aliases(node, aliases):
    """Record what a top-level statement binds to a dotted library name."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                aliases[alias.asname] = alias.name
            else:
                top = alias.name.split(".")[0]
                aliases[top] = top
    elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
        for alias in node.names:
            if alias.name == "*":
                for name in CONVOLUTION_NAMES:
                    aliases.setdefault(name, "%s.%s" % (node.module, name))
            else:
                aliases[alias.asname or alias.name] = "%s.%s" % (node.module, alias.name)
    elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        resolved = _resolve(node.value, aliases)
        if resolved:
            aliases[node.targets[0].id] = resolved
        else:
            aliases.pop(node.targets[0].id, None)
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        aliases.pop(node.name, None)


def _resolve(node, aliases, local=frozenset()):
    """The dotted library name an expression stands for, or None."""
    if isinstance(node, ast.Name):
        return None if node.id in local else aliases.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, aliases, local)
        return "%s.%s" % (base, node.attr) if base else None
    if isinstance(node, ast.Call):
        func = _resolve(node.func, aliases, local) or _dotted(node.func)
        args = node.args
        if func in ("getattr", "builtins.getattr") and len(args) >= 2 and _is_str(args[1]):
            base = _resolve(args[0], aliases, local)
            return "%s.%s" % (base, args[1].value) if base else None
        if func in ("__import__", "importlib.import_module") and args and _is_str(args[0]):
            return args[0].value
    return None


def _dotted(node):
    """The literal dotted text of ``a.b.c`` (no alias resolution), or ""."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return "%s.%s" % (base, node.attr) if base else ""
    return ""


def _is_str(node):
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


class _Visitor(ast.NodeVisitor):
    """Collect forbidden references and referenced names inside one top-level statement."""

    def __init__(self, aliases, grade_id, owner, lines):
        self.aliases, self.grade_id, self.owner, self.lines = aliases, grade_id, owner, lines
        self.findings, self.referenced, self.local = [], set(), frozenset()

    def _report(self, node, qualified):
        line = getattr(node, "lineno", 0)
        text = self.lines[line - 1].strip()[:120] if 0 < line <= len(self.lines) else ""
        self.findings.append(Finding(self.grade_id, line, qualified, self.owner, text))

    def visit_FunctionDef(self, node):
        outer_local, outer_aliases = self.local, self.aliases
        params = {a.arg for a in node.args.args + node.args.kwonlyargs + node.args.posonlyargs}
        params |= {a.arg for a in (node.args.vararg, node.args.kwarg) if a is not None}
        assigned = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        imported = {}
        for sub in ast.walk(node):  # imports inside the function bind names for its body
            if isinstance(sub, (ast.Import, ast.ImportFrom)):
                _update_aliases(sub, imported)
        self.local = (outer_local | params | assigned) - set(imported)
        self.aliases = collections.ChainMap(imported, outer_aliases)
        self.generic_visit(node)
        self.local, self.aliases = outer_local, outer_aliases

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Import(self, node):
        pass  # an import binds a name; only its uses count

    visit_ImportFrom = visit_Import

    def visit_Attribute(self, node):
        resolved = _resolve(node, self.aliases, self.local)
        if resolved and is_forbidden(resolved):
            self._report(node, resolved)
            return  # the outermost forbidden attribute is the finding; not its prefix too
        self.generic_visit(node)

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load):
            if node.id not in self.local:
                self.referenced.add(node.id)
            resolved = _resolve(node, self.aliases, self.local)
            if resolved and is_forbidden(resolved):
                self._report(node, resolved)

    def visit_Call(self, node):
        resolved = _resolve(node, self.aliases, self.local)
        if resolved and is_forbidden(resolved):
            self._report(node, resolved)
            return
        self.generic_visit(node)
