"""nbgrader's steps as this course configures them (``autograder/nbgrader_config.py``).

They run inside nbgrader, on every path (``python -m autograder``, plain
``nbgrader``, the formgrader): :mod:`~autograder.preprocessors.execute`
(the sealed Execute step), :mod:`~autograder.preprocessors.output_bounds`
(what a kernel may send), :mod:`~autograder.preprocessors.judge` (the
verdict), :mod:`~autograder.preprocessors.student_view` (what feedback is
made from) and :mod:`~autograder.preprocessors.browser_safe` (pages for
browsers).
"""
