# rosterlab: `make run` and `make test` set up their own virtual environment (.venv) on first use.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint format spec spec-check bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "rosterlab needs Python 3.11 or newer; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP) ## create .venv and install rosterlab with its development tools

# `make run PORT=9000 HOST=0.0.0.0`; not read from the environment, where HOST often names the machine.
HOST = 127.0.0.1
PORT = 8000

run: $(STAMP) ## start the mock SIS on a generated district
	$(BIN)/rosterlab serve --demo --host $(HOST) --port $(PORT)

test: $(STAMP) lint ## run the whole test suite (two processes: one per core of the reference machine)
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

spec: $(STAMP) ## re-generate the OpenAPI documents in spec/openapi/ from the model
	$(BIN)/python -m rosterlab.spec.documents

spec-check: $(STAMP)
	$(BIN)/python -m rosterlab.spec.documents --check

BENCH_USERS ?= 100000
SCENARIOS ?= generate_load serve sync csv_io quirks_matrix

bench: $(STAMP) ## run the benchmarks (one with SCENARIOS=serve); figures in bench/results/
	@for scenario in $(SCENARIOS); do \
		case $$scenario in \
			quirks_matrix) $(BIN)/python -m bench.quirks_matrix --users 300 --seeds 1 || exit 1 ;; \
			*) $(BIN)/python -m bench.$$scenario --users $(BENCH_USERS) || exit 1 ;; \
		esac; \
	done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis .ruff_cache
