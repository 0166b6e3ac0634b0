"""The student distribution's packages; everything else is declared in pyproject.toml.

Every package of ``nst_utils`` (its data folder too) is found by setuptools, so
a new subpackage cannot be left out. The course images stay in the repository's top-level
``images/`` folder and ship inside the package as ``nst_utils/course_images``
(one copy in the repository, mapped here). Nothing else is packaged: no
``autograder``, no notebooks (``tests/test_packaging.py`` checks both).
"""

from setuptools import find_namespace_packages, setup

IMAGES_PACKAGE = "nst_utils.course_images"

setup(
    packages=[*find_namespace_packages(include=["nst_utils", "nst_utils.*"], exclude=["*.__pycache__"]),
              IMAGES_PACKAGE],
    package_dir={IMAGES_PACKAGE: "images"},
)
