# Quickstart: `make demo` (creates .venv if absent, installs, plans the bundled demo into ./out and
# starts the web app with the demo loaded) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo demo-reset test bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/vertrekplanner demo --out out
	$(VENV)/bin/vertrekplanner serve --demo

# Start the demo afresh: forget the service's database and the planned ./out folder.
demo-reset:
	rm -rf var out

# Browser tests drive Debian's chromium (Playwright cannot download its own browser here).
BROWSER := /usr/bin/chromium
$(BROWSER):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null || echo "chromium not installed: browser tests will fail"; \
	else echo "install Debian's chromium (apt-get install chromium) for the browser tests"; fi

# ical.js (Thunderbird's iCalendar parser) reads feeds and invites in the tests, under Node.js.
ICALJS := tests/js/node_modules/.installed
$(ICALJS): tests/js/package.json tests/js/package-lock.json
	@if command -v npm >/dev/null; then cd tests/js && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else echo "Node.js not found: the ical.js calendar checks will be skipped"; fi

test: $(STAMP) $(BROWSER) $(ICALJS)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) benchmarks/run.py

clean:
	rm -rf out build *.egg-info
