# convgrade: `make demo` runs the main job, `make test` runs the tests. Both set up what they need.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3.11
# pip's notes about index folders it skips are noise here.
QUIET_PIP := 2>&1 | { grep -v "^WARNING: Location 'file:" || true; }
VENV := .venv
STUDENT_VENV := .venv-student
PY := $(VENV)/bin/python
SPY := $(STUDENT_VENV)/bin/python
PYTEST_ARGS ?=
# JupyterHub's proxy (npm), pinned, in a git-ignored folder; `make hub` and its test use it offline.
HUB_PROXY := .hub/node_modules/.bin/configurable-http-proxy
CHP_VERSION := 5.3.0

.PHONY: install system-packages test demo bench lab lab-student hub release clean

install: system-packages $(VENV)/.stamp-install $(STUDENT_VENV)/.stamp-install $(HUB_PROXY)

# bubblewrap is the autograder's sandbox; chromium and its driver serve the browser tests;
# postgresql's server programs (not on PATH) serve the `--db postgresql://` test.
system-packages:
	@missing=""; for b in bwrap chromium; do command -v $$b >/dev/null 2>&1 || missing="$$missing $$b"; done; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages for:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap chromium chromium-driver postgresql >/dev/null; \
	  else echo "missing:$$missing (install Debian's bubblewrap, chromium, chromium-driver and postgresql as root)"; fi; \
	fi

$(VENV)/.stamp-install: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip $(QUIET_PIP)
	$(PY) -m pip install -q -e '.[test,hub]' $(QUIET_PIP)
	touch $@

# The students' kernel environment: no `reference`, no `autograder`, only the kernel-side probe.
$(STUDENT_VENV)/.stamp-install: autograder/kernel/requirements.txt $(wildcard autograder/kernel/*.py) \
		$(wildcard autograder/kernel/items/*.toml)
	test -x $(SPY) || $(PYTHON) -m venv $(STUDENT_VENV)
	$(SPY) -m pip install -q --upgrade pip $(QUIET_PIP)
	$(SPY) -m pip install -q -r autograder/kernel/requirements.txt $(QUIET_PIP)
	site=$$($(SPY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') && \
	  rm -rf "$$site/convgrade_kernel" && mkdir -p "$$site/convgrade_kernel" && \
	  cp autograder/kernel/*.py "$$site/convgrade_kernel/" && \
	  mkdir -p "$$site/convgrade_kernel/items" && cp autograder/kernel/items/*.toml "$$site/convgrade_kernel/items/"
	$(SPY) -m ipykernel install --prefix $(STUDENT_VENV) --name convgrade-student --display-name "Python 3 (convgrade student)" >/dev/null
	touch $@

$(HUB_PROXY):
	npm install --silent --no-audit --no-fund --prefix .hub configurable-http-proxy@$(CHP_VERSION)
	touch $@

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

demo: install
	$(VENV)/bin/convgrade demo

bench: install
	$(PY) benchmarks/run.py

lab: install
	$(VENV)/bin/convgrade lab

lab-student: install
	$(VENV)/bin/convgrade lab --student

# JupyterHub for the course, with throw-away Unix users (as root; Ctrl-C removes them).
hub: install
	$(VENV)/bin/convgrade hub

release: install
	for a in $$(ls source); do $(VENV)/bin/convgrade --course . release $$a --force; done

clean:
	rm -rf $(VENV) $(STUDENT_VENV) .pytest_cache .hypothesis .hub
