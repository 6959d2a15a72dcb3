# kefu — two commands: `make run` (set up and serve the demo shop) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export KEFU_DATA_DIR ?= $(CURDIR)/var

.PHONY: install run test test-sqlite test-postgres lint messages clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: install
	$(BIN)/kefu assist train
	$(BIN)/kefu demo
	@echo "正在启动 kefu: http://127.0.0.1:8000  (Ctrl-C 停止)"
	$(BIN)/kefu serve --host 127.0.0.1 --port 8000

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports

# The whole suite on SQLite, then everything that touches a database again on PostgreSQL.
test: install lint test-sqlite test-postgres

test-sqlite: install
	KEFU_DATA_DIR=$(CURDIR)/var/test $(BIN)/pytest -q -p no:cacheprovider -n 2

PG_URL ?= postgres://postgres@127.0.0.1:5432/test
test-postgres: install
	@if $(BIN)/python -c "import psycopg; psycopg.connect('$(PG_URL)', connect_timeout=3).close()" 2>/dev/null; then \
	  echo "== the suite again on PostgreSQL ($(PG_URL)) =="; \
	  KEFU_DATA_DIR=$(CURDIR)/var/test-pg DATABASE_URL=$(PG_URL) $(BIN)/pytest -q -p no:cacheprovider -n 2 --ignore=tests/assist --ignore=tests/bench; \
	elif [ "$$CI" = "true" ]; then \
	  echo "PostgreSQL is not reachable at $(PG_URL) and CI=true: the PostgreSQL run must not be skipped."; exit 1; \
	else \
	  echo "PostgreSQL is not reachable at $(PG_URL): skipping the PostgreSQL run (start PostgreSQL or set PG_URL to include it)."; \
	fi

# Collect new UI strings into the English catalog (translate them, then this again compiles).
messages: install
	cd src/kefu && ../../$(BIN)/kefu manage makemessages -l en && ../../$(BIN)/kefu manage compilemessages

clean:
	rm -rf $(VENV) var test-output
