"""The instructor's side of the course: release, sealed grading, reference, reports.

Nothing here ships to students. ``nst_utils`` never imports this package.
"""
