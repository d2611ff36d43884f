# The only entry points for humans and CI. Each target installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ASSETS := axonql/static/vendor/.fetched

.PHONY: install run test check bench schema clean

install: $(STAMP) $(ASSETS)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(ASSETS): $(STAMP) axonql/graphiql_assets.py
	$(BIN)/python -m axonql.graphiql_assets

run: install
	$(BIN)/axonql serve --demo

test: install
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

check: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy axonql tests bench

bench: install
	$(BIN)/python -m bench

schema: install
	$(BIN)/axonql export-schema > schema.graphql

clean:
	rm -rf $(VENV) .axonql axonql/static/vendor
