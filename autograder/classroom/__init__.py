"""Around grading: the student versions of the assignments (:mod:`.release`) and
JupyterLab on the course, for the teacher or a student (:mod:`.lab`)."""
