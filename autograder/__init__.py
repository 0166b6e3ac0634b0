"""The instructor's side of the course: release, grading, reference, hidden checks.

Nothing here ships to students. ``nst_utils`` never imports this package.
"""
