"""Where things are inside a grading sandbox: the one home of these paths.

The trusted side mounts them (``autograder.sandbox.mounts``); inside, the
kernel factory (:mod:`nst_utils.grading.kernel_factory`) and the harness
(:mod:`nst_utils.grading.harness`) use them.
"""

SCRATCH = "/scratch"          # the kernel's working folder
SOCKETS = "/run/nst-kernel"   # the kernels' IPC sockets
MPL_DIR = "/tmp/matplotlib"   # matplotlib's cache folder ($MPLCONFIGDIR)
STAGING = "/staging"          # the factory's read-only view of the next notebook's staging
GRADING = "_grading"          # under the working folder: the graded cases' inputs and results
RESULTS = f"{GRADING}/results"  # the harness's results: in a sandbox, a tmpfs of its own
