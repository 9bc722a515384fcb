"""nbgrader configuration for the course: the repository root is the course directory.

Instructor sources (with solutions and hidden tests) live in ``solutions/``; the
generated student release lives in ``exercises/`` and is committed.
"""

import os

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

# The course directory is the folder of this file, wherever nbgrader is started from.
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.course_id = "dlfoundations"

# A student's unfinished answer raises this, and the visible test says so clearly.
c.ClearSolutions.code_stub = {
    "python": '# YOUR CODE HERE\nraise NotImplementedError("Not implemented yet: replace this line with your code.")'
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Each cell gets 60 s; a cell that runs longer (an endless loop) is interrupted and scores 0.
c.ExecutePreprocessor.timeout = 60
c.ExecutePreprocessor.interrupt_on_timeout = True
