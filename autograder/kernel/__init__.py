"""convgrade_kernel: the small module that lives inside a student's kernel.

It is installed twice from this one folder: as the package ``convgrade_kernel`` in the
grader's environment (``pyproject.toml`` maps it here) and copied into the students'
kernel environment by ``make install``. It depends on NumPy and the standard library
only, and it never contains an answer: answers are computed by ``reference`` in the
grader's own process. The one exception is the quiz's item bank (``item_bank``, ``items/``):
its files hold the right answers of short practice questions, so a kernel can show them.

What it offers a notebook:

- ``student_id(typed="")`` - the id whose variant this notebook shows;
- ``variant(assignment, student)`` - that student's numbers (see ``variants``);
- ``check(check_id, namespace)`` - what a hidden test cell calls (see ``probe``).
- ``item_bank.show_quiz(student, lang)`` - that student's quiz questions (see ``item_bank``).
"""
from convgrade_kernel.codec import decode, encode
from convgrade_kernel.probe import check, student_id
from convgrade_kernel.variants import variant

__all__ = ["check", "decode", "encode", "student_id", "variant"]
