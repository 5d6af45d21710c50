"""The quiz's item bank: short questions, one TOML file per item, drawn per student.

Each file of ``items/`` (beside this module, so a student's kernel can draw and show the
questions without the grader) is one item; a teacher adds a question by adding a file.
:func:`load_item` validates a file and names the file, the field and the rule broken in
one line (:class:`ItemError`). The fields (README.md, "Adding a question", has an example):

``id`` (str, the file's stem), ``tier`` (1 core, 2, 3), ``kind`` (``"choice"`` or ``"number"``),
``topics`` (list of str), ``[text]`` ``en``/``nl`` (the question; ``{n}`` names a parameter),
``grid`` (optional: numbers shown as text under the question, in every language), ``[hint]``
``en``/``nl`` (the next step a student who got it wrong should take).

``choice`` items: ``right`` (a choice's letter) and ``[choices.a]``, ``[choices.b]``... each with
``en``/``nl``; every wrong choice also has ``misconception`` (a short key) and ``why_en``/``why_nl``
(what that choice reveals).

``number`` items: ``answer`` (a number, or a formula over the parameters such as
``"(n + 2*p - k) // s + 1"``), optional ``tolerance`` (default 0), optional ``[params]``
(``n = [5, 6, 7]``: the values a student's parameter is drawn from), optional ``require``
(a condition the drawn parameters must meet, ``"n + 2*p >= k"``) and ``[[mistakes]]``
(``answer`` formula, ``misconception``, ``why_en``, ``why_nl``): a typed number equal to a
mistake's value is explained by it.

A student's quiz is a variant (:mod:`convgrade_kernel.variants`): a pure function of the id,
``{"slots": [{"item": id, "params": {name: int}}, ...]}``, :data:`MIX` items per tier, easy first.
The grader redraws it from the filed (or typed, :mod:`autograder.pipeline.identity`) id and
judges ``answers["q1"]``... against :func:`answer_of`. The answers are in the item files, which
ship with the kernel: the quiz is practice, not an exam.
"""
from __future__ import annotations

import ast
import functools
import itertools
import math
import operator
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from convgrade_kernel.variants import seed_for, variant, variant_generator

ITEMS_DIR = Path(__file__).resolve().with_name("items")
LANGS = ("en", "nl")
KINDS = ("choice", "number")
TIERS = (1, 2, 3)
#: Items per tier in one student's quiz: ten questions, most of them core.
MIX = {1: 5, 2: 3, 3: 2}
#: Most parameter combinations an item may have (all are checked when it loads).
MAX_COMBINATIONS = 5000

_FIELDS = {"id", "tier", "kind", "topics", "text", "grid", "hint", "right", "choices", "answer",
           "tolerance", "params", "require", "mistakes"}
_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
              ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
              ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
              ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.USub: operator.neg, ast.UAdd: operator.pos}
_FUNCTIONS = {"min": min, "max": max}

#: The notebook's own words around the questions (the grader's words live in autograder/language).
WORDS = {
    "en": {"heading": "Your quiz (student id: %s): %d questions", "question": "q%d (level %d)",
           "choose": 'Answer with a letter, for example "q%d": "a"',
           "number": 'Answer with a number, for example "q%d": 12'},
    "nl": {"heading": "Jouw toets (leerlingnummer: %s): %d vragen", "question": "q%d (niveau %d)",
           "choose": 'Antwoord met een letter, bijvoorbeeld "q%d": "a"',
           "number": 'Antwoord met een getal, bijvoorbeeld "q%d": 12'},
}


class ItemError(ValueError):
    """An item file breaks a rule; the message is one line: ``FILE: field 'x': rule``."""


@dataclass(frozen=True)
class Choice:
    """One answer of a choice item; ``misconception`` and ``why`` only for wrong ones."""

    key: str
    text: dict
    misconception: str = ""
    why: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Mistake:
    """A wrong formula of a number item and what a number equal to it reveals."""

    answer: str
    misconception: str
    why: dict


@dataclass(frozen=True)
class Item:
    """One validated item file (see the module docstring for the fields)."""

    id: str
    tier: int
    kind: str
    topics: tuple
    text: dict
    hint: dict
    grid: str = ""
    right: str = ""
    choices: tuple = ()
    answer: object = None
    tolerance: float = 0.0
    params: dict = field(default_factory=dict)
    require: str = ""
    mistakes: tuple = ()

    def choice(self, key):
        """The :class:`Choice` with letter ``key``, or None."""
        return next((c for c in self.choices if c.key == key), None)


def evaluate(formula, params):
    """The value of arithmetic ``formula`` (``+ - * / // % **``, comparisons, ``and``/``or``,
    ``min``/``max``, numbers and the names in ``params``); nothing else is evaluated."""
    if isinstance(formula, (int, float)):
        return formula

    def walk(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in params:
                raise ValueError("unknown name %r (parameters: %s)" % (node.id, ", ".join(sorted(params)) or "none"))
            return params[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](walk(node.operand))
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _OPERATORS:
            return _OPERATORS[type(node.ops[0])](walk(node.left), walk(node.comparators[0]))
        if isinstance(node, ast.BoolOp):
            values = [walk(v) for v in node.values]
            return all(values) if isinstance(node.op, ast.And) else any(values)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS \
                and not node.keywords:
            return _FUNCTIONS[node.func.id](*[walk(a) for a in node.args])
        raise ValueError("%s is not allowed (only arithmetic on numbers and parameters)" % type(node).__name__)

    return walk(_parsed(str(formula).strip()))


def same_number(number, expected, tolerance=0.0):
    """Whether typed ``number`` counts as ``expected`` (within ``tolerance``, plus float rounding)."""
    return abs(number - expected) <= tolerance + 1e-9 * max(1.0, abs(expected))


@functools.lru_cache(maxsize=1024)
def _parsed(formula):
    """The syntax tree of ``formula`` (parsed once: an item's combinations all use it)."""
    try:
        return ast.parse(formula, mode="eval")
    except SyntaxError as exc:
        raise ValueError("not a formula (%s)" % exc.msg) from None


def load_item(path):
    """The :class:`Item` of TOML file ``path``; :class:`ItemError` (one line) when it breaks a rule."""
    path = Path(path)

    def fail(name, rule):
        raise ItemError("%s: field %r: %s" % (path.name, name, rule))

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ItemError("%s: not valid TOML: %s" % (path.name, str(exc).splitlines()[0])) from None
    for name in sorted(set(data) - _FIELDS):
        fail(name, "unknown field (fields: %s)" % ", ".join(sorted(_FIELDS)))
    for name in ("id", "tier", "kind", "topics", "text", "hint"):
        if name not in data:
            fail(name, "missing")
    if data["id"] != path.stem:
        fail("id", "must be the file's name without .toml (%r)" % path.stem)
    if data["tier"] not in TIERS or type(data["tier"]) is not int:
        fail("tier", "must be 1 (core), 2 or 3, not %r" % (data["tier"],))
    if data["kind"] not in KINDS:
        fail("kind", "must be %s, not %r" % (" or ".join(map(repr, KINDS)), data["kind"]))
    if not isinstance(data["topics"], list) or not data["topics"] or not all(
            isinstance(t, str) and t.strip() for t in data["topics"]):
        fail("topics", "must be a non-empty list of words")
    texts = {name: _texts(data.get(name), name, fail) for name in ("text", "hint")}
    grid = data.get("grid", "")
    if not isinstance(grid, str):
        fail("grid", "must be text")
    params = _params(data.get("params", {}), fail)
    item = Item(id=data["id"], tier=data["tier"], kind=data["kind"], topics=tuple(data["topics"]),
                text=texts["text"], hint=texts["hint"], grid=grid.rstrip("\n"), params=params,
                require=str(data.get("require", "")))
    if item.kind == "choice":
        item = _choice_item(item, data, fail)
    else:
        item = _number_item(item, data, fail)
    _check_parameters(item, fail)
    return item


def _texts(value, name, fail):
    """``{"en": ..., "nl": ...}`` of table ``name``, both present and non-empty."""
    if not isinstance(value, dict):
        fail(name, "must be a table with en and nl")
    for lang in LANGS:
        if not isinstance(value.get(lang), str) or not value[lang].strip():
            fail("%s.%s" % (name, lang), "missing or empty (every text needs en and nl)")
    return {lang: value[lang].strip() for lang in LANGS}


def _why(table, name, fail):
    for key in ("misconception", "why_en", "why_nl"):
        if not isinstance(table.get(key), str) or not table[key].strip():
            fail("%s.%s" % (name, key), "missing or empty (a wrong answer needs its misconception in en and nl)")
    return table["misconception"].strip(), {lang: table["why_" + lang].strip() for lang in LANGS}


def _params(value, fail):
    if not isinstance(value, dict):
        fail("params", "must be a table of name = [values]")
    for name, values in value.items():
        if not name.isidentifier() or not isinstance(values, list) or not values or not all(
                type(v) is int for v in values):
            fail("params.%s" % name, "must be a non-empty list of whole numbers")
    return {name: tuple(values) for name, values in value.items()}


def _choice_item(item, data, fail):
    choices = data.get("choices")
    if not isinstance(choices, dict) or len(choices) < 2:
        fail("choices", "a choice item needs at least two choices ([choices.a], [choices.b], ...)")
    if data.get("right") not in choices:
        fail("right", "must be the letter of one of the choices (%s), not %r" % (", ".join(choices), data.get("right")))
    for name in ("answer", "mistakes", "tolerance"):
        if name in data:
            fail(name, "only number items have it")
    made = []
    for key, table in choices.items():
        if len(key) != 1 or not key.islower():
            fail("choices.%s" % key, "a choice's name is one small letter")
        if not isinstance(table, dict):
            fail("choices.%s" % key, "must be a table with en and nl")
        text = _texts({lang: table.get(lang) for lang in LANGS}, "choices.%s" % key, fail)
        if key == data["right"]:
            made.append(Choice(key, text))
        else:
            misconception, why = _why(table, "choices.%s" % key, fail)
            made.append(Choice(key, text, misconception, why))
    return _replace(item, right=data["right"], choices=tuple(made))


def _number_item(item, data, fail):
    for name in ("right", "choices"):
        if name in data:
            fail(name, "only choice items have it")
    if "answer" not in data or type(data["answer"]) not in (int, float, str):
        fail("answer", "a number item needs answer = a number or a formula in quotes")
    tolerance = data.get("tolerance", 0)
    if type(tolerance) not in (int, float) or tolerance < 0:
        fail("tolerance", "must be a number >= 0")
    mistakes = data.get("mistakes", [])
    if not isinstance(mistakes, list):
        fail("mistakes", "must be a list of [[mistakes]] tables")
    made = []
    for index, table in enumerate(mistakes):
        name = "mistakes[%d]" % (index + 1)
        if not isinstance(table, dict) or type(table.get("answer")) not in (int, float, str):
            fail(name + ".answer", "each mistake needs answer = a number or a formula in quotes")
        misconception, why = _why(table, name, fail)
        made.append(Mistake(str(table["answer"]), misconception, why))
    return _replace(item, answer=data["answer"], tolerance=float(tolerance), mistakes=tuple(made))


def _replace(item, **changes):
    return Item(**{**item.__dict__, **changes})


def _check_parameters(item, fail):
    """Every parameter combination the draw may give formats the texts and gives a finite answer."""
    names = sorted(item.params)
    combinations = list(itertools.islice(itertools.product(*(item.params[n] for n in names)), MAX_COMBINATIONS + 1))
    if len(combinations) > MAX_COMBINATIONS:
        fail("params", "more than %d combinations; give fewer values" % MAX_COMBINATIONS)
    allowed = 0
    for values in combinations:
        params = dict(zip(names, values))
        try:
            if item.require and not evaluate(item.require, params):
                continue
        except (ValueError, ArithmeticError) as exc:
            fail("require", str(exc))
        allowed += 1
        for lang in LANGS:
            try:
                item.text[lang].format(**params)
            except (KeyError, IndexError, ValueError) as exc:
                fail("text.%s" % lang, "{%s} is no parameter (write {{ and }} for braces)" % exc.args[0]
                     if isinstance(exc, KeyError) else "braces: %s" % exc)
        if item.kind == "number":
            right = None
            for index, (name, formula) in enumerate([("answer", item.answer)] + [
                    ("mistakes[%d].answer" % (i + 1), m.answer) for i, m in enumerate(item.mistakes)]):
                try:
                    value = evaluate(formula, params)
                except (ValueError, ArithmeticError, TypeError) as exc:
                    fail(name, "%s (parameters %s)" % (exc, params))
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                    fail(name, "must give a number, gives %r for %s" % (value, params))
                if index == 0:
                    right = value
                elif same_number(value, right, item.tolerance):
                    # a typed number equal to a mistake's value is explained by it: the right one must not be
                    fail(name, "mistake %r gives the right answer %r for %s; narrow [params] or add require"
                         % (item.mistakes[index - 1].misconception, right, params))
    if not allowed:
        fail("require", "no combination of the parameters' values meets it")


@functools.lru_cache(maxsize=8)
def _bank(folder):
    items = {}
    for path in sorted(Path(folder).glob("*.toml")):
        item = load_item(path)
        items[item.id] = item
    return items


def load_bank(folder=None):
    """``{id: Item}`` of every ``*.toml`` file in ``folder`` (default: :data:`ITEMS_DIR`)."""
    return _bank(str(Path(folder or ITEMS_DIR).resolve()))


def draw(rng, bank, mix=None):
    """A quiz from ``bank``: ``[{"item": id, "params": {name: int}}, ...]``, ``mix[tier]`` items of
    each tier (default :data:`MIX`), tier 1 first; each item at most once."""
    mix = MIX if mix is None else mix
    slots = []
    for tier in sorted(mix):
        ids = sorted(i for i, item in bank.items() if item.tier == tier)
        if len(ids) < mix[tier]:
            raise ItemError("item bank: tier %d has %d items, a quiz needs %d" % (tier, len(ids), mix[tier]))
        for index in rng.choice(len(ids), size=mix[tier], replace=False):
            slots.append({"item": ids[index], "params": _draw_params(rng, bank[ids[index]])})
    return slots


def _draw_params(rng, item):
    names = sorted(item.params)
    while True:  # load_item proved that some combination meets ``require``
        params = {n: int(item.params[n][rng.integers(len(item.params[n]))]) for n in names}
        if not item.require or evaluate(item.require, params):
            return params


@variant_generator("quiz", "quiz_nl")
def quiz_variant(rng):
    """One student's quiz from the bank in :data:`ITEMS_DIR` (see :func:`draw`)."""
    return {"slots": draw(rng, load_bank())}


def quiz_of(student, folder=None, assignment="quiz"):
    """The slots of ``student``'s quiz drawn from the items in ``folder`` (default the bank);
    ValueError with what to do for an empty id."""
    slots = variant(assignment, student)["slots"]  # its check of the id first
    if folder is None:
        return slots
    return draw(np.random.default_rng(seed_for(assignment, student.strip())), load_bank(folder))


def answer_of(item, params):
    """The right answer of ``item`` with ``params``: a choice's letter or a number."""
    if item.kind == "choice":
        return item.right
    return evaluate(item.answer, params)


def question_text(item, params, lang, number):
    """Question ``number`` (from 1) as a student reads it: text, grid, choices, how to answer."""
    words = WORDS[lang]
    lines = [words["question"] % (number, item.tier), item.text[lang].format(**params)]
    if item.grid:
        lines += [""] + ["    " + row for row in item.grid.splitlines()]
    for choice in item.choices:
        lines.append("  %s) %s" % (choice.key, choice.text[lang].format(**params)))
    lines.append(words["choose" if item.kind == "choice" else "number"] % number)
    return "\n".join(lines)


def show_quiz(student, lang="en", folder=None):
    """Print ``student``'s quiz (their own questions, in ``lang``)."""
    bank, slots = load_bank(folder), quiz_of(student, folder)
    print(WORDS[lang]["heading"] % (student, len(slots)))
    for number, slot in enumerate(slots, 1):
        print()
        print(question_text(bank[slot["item"]], slot["params"], lang, number))


def answer_key(student, folder=None):
    """``{"q1": answer, ...}`` of ``student``'s quiz (the model solution's dict)."""
    bank = load_bank(folder)
    return {"q%d" % number: answer_of(bank[slot["item"]], slot["params"])
            for number, slot in enumerate(quiz_of(student, folder), 1)}
