# Quick start targets: `make run` (demo) and `make test` (the whole suite, as CI runs it).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export DASH_TEST_CHROMEPATH ?= /usr/bin/chromium
export BROWSER_PATH ?= /usr/bin/chromium

.PHONY: run test venv deps test-deps system-deps init bench clean

$(PY):
	$(PYTHON) -m venv $(VENV) || (apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV))
	$(PY) -m pip install -q --upgrade pip

deps: $(PY)
	$(PY) -m pip install -q -r requirements.txt

test-deps: $(PY)
	$(PY) -m pip install -q -r requirements-test.txt

system-deps:
	bash scripts/system-deps.sh

run: deps
	$(PY) app.py --demo

init: deps
	$(PY) -m data init

test: system-deps test-deps
	$(PY) -m pytest -p no:cacheprovider --webdriver Chrome --headless -q tests

bench: test-deps
	$(PY) -m benchmarks --regions 1,100,1000 --backend sqlite,postgresql --format table

clean:
	rm -rf $(VENV) instance .pytest_cache
