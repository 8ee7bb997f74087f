# paperbot: `make run` starts the bot on embedded defaults, `make test` runs every check.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SAMPLE_DIGESTS := bot/data/sample

.PHONY: run test lint typecheck pytest install dev messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

dev: $(VENV)/.installed-dev

# Without a .env file or DIGEST_DIR, run on the bundled sample digest with a console chat.
run: install
	@if [ -f .env ] || [ -n "$$DIGEST_DIR" ]; then \
		$(BIN)/paperbot run; \
	else \
		echo "No .env file: using the sample digest in $(SAMPLE_DIGESTS) and a console chat."; \
		DIGEST_DIR=$(SAMPLE_DIGESTS) $(BIN)/paperbot run; \
	fi

lint: dev
	$(BIN)/ruff check bot tests $(wildcard benchmarks)

typecheck: dev
	$(BIN)/mypy bot

pytest: dev
	$(BIN)/pytest -q

test: lint typecheck pytest

# Refresh the message catalogs after changing translatable strings.
messages: dev
	$(BIN)/pybabel extract -F babel.cfg -k N_ -o /tmp/paperbot-messages.pot --no-location --sort-output bot
	for lang in zh en; do \
		$(BIN)/pybabel update -i /tmp/paperbot-messages.pot -d bot/i18n/locales -l $$lang \
			--no-fuzzy-matching --ignore-obsolete; \
	done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info paperbot.db
