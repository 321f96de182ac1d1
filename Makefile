# Centrale: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi:app
export CENTRALE_ENV ?= development

.PHONY: run test venv dev-venv translations migrate demo serve scheduler clean

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.dev-installed: $(BIN)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed
dev-venv: $(BIN)/.dev-installed

# Compile every domain's French catalogue (the .mo files are build products, not committed).
translations: venv
	BIN=$(BIN) tools/i18n.sh compile

migrate: venv translations
	$(BIN)/flask db upgrade

demo: migrate
	$(BIN)/flask demo load

run: demo
	$(BIN)/flask demo accounts
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: dev-venv translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
