# Two commands for a fresh Debian/Ubuntu machine; each does its own set-up (scripts/bootstrap.sh,
# idempotent): `make lab` starts JupyterLab on notebooks/, `make test` runs the whole suite.
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8888
NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with notebooks/nbval_sanitize.cfg
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
# Unit tests run on JOBS pytest-xdist workers (default: the cores, at most 2; `make test-unit JOBS=4`).
# --dist loadfile keeps each test file on one worker, so module fixtures are built once and the
# session zoo once per worker. Only this Makefile passes -n: plain `pytest` needs no xdist.
# -p no:nbval: the unit tests need no notebook plugin, and importing it costs each process ~1 s.
JOBS   ?= $(shell n=$$(nproc 2>/dev/null || echo 1); echo $$(( n < 2 ? n : 2 )))

.PHONY: setup lab lint test test-unit test-notebooks test-browser bench bench-widgets fuzz js clean

setup:
	@WITH_BROWSER=1 ./scripts/bootstrap.sh

# scripts/jupyter (on JUPYTER_CONFIG_PATH) holds default settings: widget state saved with the
# notebook, so a saved notebook reopens with its graphs drawn; no news prompt (scripts/jupyter/README.md).
lab: setup
	@echo "JupyterLab on notebooks/: open the http://127.0.0.1:$(PORT)/lab?token=... URL printed below"
	JUPYTER_CONFIG_PATH="$(CURDIR)/scripts/jupyter$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	  $(VENV)/bin/jupyter lab --no-browser $(ROOT_FLAG) --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) \
	  --ServerApp.root_dir=notebooks --LabApp.news_url=None \
	  --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate

test: setup lint test-unit test-notebooks test-browser

lint: setup  # ruff and mypy on toolkit/, configured in pyproject.toml
	$(VENV)/bin/ruff check toolkit
	$(VENV)/bin/mypy toolkit

test-unit:
	$(PY) -m pytest tests -q -m "not browser" -p no:nbval -n $(JOBS) --dist loadfile

test-notebooks:
	$(PY) -m pytest -q $(NBVAL) notebooks
	$(PY) -m toolkit.widgets.notebook_state --check notebooks/*.ipynb

test-browser:
	$(PY) -m pytest -q tests/browser -m browser

bench: setup
	$(PY) bench/render.py
	$(PY) bench/lost_flow.py
	$(PY) bench/pipeline.py --device cpu

bench-widgets: setup
	$(PY) bench/widgets.py --markdown

# The long property run (tests/property, TOOLKIT_FUZZ=long: 150 examples a property; 8 properties took
# 90.5 s here on 2026-12-01; TOOLKIT_FUZZ_EXAMPLES=N changes it), stopped after FUZZ_S seconds at most; hypothesis prints
# how many examples each property ran and pytest how many failed.
FUZZ_S ?= 600
fuzz: setup
	TOOLKIT_FUZZ=long timeout --signal=INT $(FUZZ_S) $(PY) -m pytest tests/property -p no:nbval -q --hypothesis-show-statistics

js:  # maintainers only: rebuild toolkit/widgets/static/ from js/ (Node 18+ and npm)
	cd js && npm ci && npm run build

clean:
	rm -rf $(VENV) build *.egg-info artifacts
