# Two commands on a fresh machine: `make demo` and `make test`.
# Each runs `setup` first when the environment is missing or out of date.

PYTHON ?= python3
OUT    ?= output
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PROXY  := autograder/hub/proxy
PROXY_STAMP := $(PROXY)/node_modules/.installed
STUDENTS ?= 3
# What `make demo` sets up first. The test suite runs `make demo PY=<its python> SETUP=`:
# the same commands, in the interpreter running the tests, and nothing installed.
SETUP  := $(STAMP)

.PHONY: setup demo test test-fast lab lab-instructor class weights release grade report bench lock clean

setup: $(STAMP) $(PROXY_STAMP)

# Two distributions, both editable: the student package `nst-course` (nst_utils, with
# TensorFlow and JupyterLab) and the instructor side `nst-course-autograder` (autograder/).
$(STAMP): pyproject.toml setup.py autograder/pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] in {(3, 11), (3, 12)}, "Python 3.11 or 3.12 is needed, found " + sys.version.split()[0]'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt \
		-e ".[tensorflow,lab,test]" -e ./autograder
	@touch $(STAMP)
	@echo "Environment ready in $(VENV)/"

# The class hub's HTTP proxy (configurable-http-proxy, pinned by package-lock.json),
# installed into the project folder, never globally; skipped, saying so, without npm.
$(PROXY_STAMP): $(PROXY)/package.json $(PROXY)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix $(PROXY) --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the class hub's proxy is not installed (only 'make class' needs it)"; fi

# The course end to end: feature maps, the reference notebooks (which paint),
# then the instructor's workflow on the sample class. Everything lands in $(OUT)/.
demo: $(SETUP)
	$(PY) -m nst_utils.demo --output $(OUT)
	rm -rf $(OUT)/sample-class
	$(PY) -m autograder demo --out $(OUT)/sample-class

test: $(STAMP) $(PROXY_STAMP)
	$(PY) -m pytest

test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow and not browser"

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/release/nst

# Instructors: JupyterLab with nbgrader's formgrader on the course in notebooks/.
lab-instructor: $(STAMP)
	$(PY) -c "from pathlib import Path; from autograder.grading.jobs import link_config; link_config(Path('notebooks'))"
	cd notebooks && PATH="$(CURDIR)/$(VENV)/bin:$$PATH" NST_COURSE_ROOT="$(CURDIR)/notebooks" \
		"$(CURDIR)/$(VENV)/bin/jupyter" lab

# A class on a real JupyterHub on this machine (run as root): prints the address and
# every account's password; Ctrl-C stops it and removes its accounts. STUDENTS=3 by default.
class: $(STAMP) $(PROXY_STAMP)
	$(PY) -m autograder hub --students $(STUDENTS)

weights: $(STAMP)
	$(PY) -m nst_utils.weights fetch

release: $(STAMP)
	$(PY) -m autograder release

# Instructors: grade the course in $(COURSE) (a folder with submitted/), then report.
COURSE ?= course
grade: $(STAMP)
	$(PY) -m autograder grade --course $(COURSE) --workers 2

report: $(STAMP)
	$(PY) -m autograder report --course $(COURSE)

bench: $(STAMP)
	$(PY) bench/generation.py
	$(PY) bench/autograde.py

lock: $(STAMP)
	( echo "# Exact versions of every package in the tested environment (Python 3.11, Linux x86-64)."; \
	  echo "# Regenerate with \`make lock\` after changing pyproject.toml."; \
	  $(PY) -m pip freeze --all --exclude-editable --exclude pip ) > constraints.txt

clean:
	rm -rf output/ .pytest_cache/
