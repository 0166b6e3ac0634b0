"""A class on a real JupyterHub: accounts, servers, the exchange and the instructor's workflow.

``python -m autograder hub`` (:mod:`autograder.hub.command`) runs it; the
instructor's guide, "Running the course on JupyterHub", explains it.
"""
