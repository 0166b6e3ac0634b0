"""Logging in to a class made by ``python -m autograder hub``: one password per account.

For trying the course and for tests: ``python -m autograder hub`` makes a
random password for every account and prints them, so a student can log in as
themselves and not as a classmate (JupyterHub's shared-password authenticator
would let anyone log in as anyone). A real class uses a real authenticator
instead: PAM (JupyterHub's default, the accounts' Unix passwords), LTI from an
LMS (``jupyterhub-ltiauthenticator``) or OAuth (``oauthenticator``); see
"Running the course on JupyterHub" in ``autograder/README.md``.
"""

from __future__ import annotations

from secrets import compare_digest

from jupyterhub.auth import Authenticator
from traitlets import Dict


class ClassPasswords(Authenticator):
    """Each allowed user logs in with their own password from ``passwords``."""

    passwords = Dict(help="user name -> password").tag(config=True)

    async def authenticate(self, handler, data):
        name, given = data.get("username", ""), data.get("password", "")
        expected = self.passwords.get(name)
        if expected and compare_digest(given.encode(), expected.encode()):
            return name
        return None
