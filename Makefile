# Centrale: `make run` serves the demo, `make test` runs the whole suite.
# Both build .venv from PyPI with `python3 -m venv` on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi:app
export CENTRALE_ENV ?= development

.PHONY: run test venv dev-venv translations migrate demo serve clean

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.dev-installed: $(BIN)/.installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed
dev-venv: $(BIN)/.dev-installed

# Compile every domain's French catalogue (the .mo files are build products, not committed).
translations: venv
	BIN=$(BIN) tools/i18n.sh compile

# The development database is instance/centrale.sqlite3 unless DATABASE_URL says otherwise.
migrate: venv translations
	$(BIN)/flask db upgrade

demo: migrate
	$(BIN)/flask demo load

# The scheduler process (outbox e-mails, reminders, renewals, campaign closing) runs beside the
# development server and is stopped when the server stops.
run: demo
	$(BIN)/flask demo accounts
	$(BIN)/flask scheduler run & scheduler=$$!; \
	$(BIN)/flask run --host 127.0.0.1 --port 5000 & server=$$!; \
	trap 'kill $$server $$scheduler 2>/dev/null; wait $$server $$scheduler 2>/dev/null' EXIT INT TERM; \
	wait $$server

# tools/pytest-strict.sh makes "no test collected" (pytest's exit code 5) a failure.
test: dev-venv translations
	tools/pytest-strict.sh $(BIN)/python $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
