"""nbgrader configuration of a convgrade course.

The `convgrade` command loads this file, then the course's own `nbgrader_config.py`
(`convgrade init` writes one), and sets `CourseDirectory.root` itself (the course of
`--course DIR` or the current folder). Teachers change behaviour in the course's file.
"""
c = get_config()  # noqa: F821 - provided by traitlets when the file is loaded

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.ClearSolutions.begin_solution_delimeter = "BEGIN SOLUTION"
c.ClearSolutions.end_solution_delimeter = "END SOLUTION"
c.ClearHiddenTests.begin_test_delimeter = "BEGIN HIDDEN TESTS"
c.ClearHiddenTests.end_test_delimeter = "END HIDDEN TESTS"
# Released notebooks run in the students' environment (no `reference`, no `autograder`).
c.ExecutePreprocessor.timeout = 120
c.Execute.timeout = 120
# Late penalty: nbgrader's plugin; set a policy here (e.g. SubMarks) to deduct.
c.AssignLatePenalties.plugin_class = "nbgrader.plugins.latesubmission.LateSubmissionPlugin"
# c.LateSubmissionPlugin.penalty_method = "zero"   # a late submission scores 0 (set the due date with
#                                                   # `nbgrader db assignment add NAME --duedate=...`)
# `convgrade collect NAME` without --from reads nbgrader's exchange, which needs both of:
# c.CourseDirectory.course_id = "cnn101"
# c.Exchange.root = "/srv/nbgrader/exchange"
