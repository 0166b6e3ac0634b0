"""Grading notebooks, on the trusted side: from a submission's bytes to scores and flags.

:mod:`~autograder.grading.jobs` grades notebooks, each in a private nbgrader
course built from :mod:`~autograder.grading.template`, with the cases of
:mod:`~autograder.grading.cases` staged by :mod:`~autograder.grading.staging`,
nbgrader run by :mod:`~autograder.grading.nbgrader_run` and its kernel forked
by :mod:`~autograder.grading.kernels`; :mod:`~autograder.grading.cluster`
spreads a class over Dask workers; :mod:`~autograder.grading.results` and
:mod:`~autograder.grading.tamper` are what comes back.
"""
