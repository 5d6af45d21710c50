"""convgrade's autograder: isolated grading of nbgrader submissions against `reference`."""
__version__ = "0.1.0"
