# Quickstart: `make demo` (creates .venv if absent, installs, plans the bundled demo into ./out and
# starts the web app with the demo loaded) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/vertrekplanner demo --out out
	$(VENV)/bin/vertrekplanner serve --demo

# Browser tests drive Debian's chromium (Playwright cannot download its own browser here).
BROWSER := /usr/bin/chromium
$(BROWSER):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null || echo "chromium not installed: browser tests will fail"; \
	else echo "install Debian's chromium (apt-get install chromium) for the browser tests"; fi

test: $(STAMP) $(BROWSER)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) benchmarks/run.py

clean:
	rm -rf out build *.egg-info
