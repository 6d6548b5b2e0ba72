"""nbgrader configuration for the AI2MED labs course.

The course root is this folder: masters in source/<lab>/, nbgrader's release,
submitted, autograded and feedback folders beside them, and the gradebook in
gradebook.db. The student-facing copies in ../labs are made by `ai2med-labs release`.
"""

from pathlib import Path

c = get_config()  # noqa: F821  (nbgrader injects get_config)

c.CourseDirectory.root = str(Path(__file__).resolve().parent)
c.CourseDirectory.course_id = "ai2med-labs"

# What a student sees where a solution was.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Every lab runs in seconds; a generous limit still stops a hanging submission.
c.ExecutePreprocessor.timeout = 120
