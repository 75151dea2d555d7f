# The two commands a newcomer needs: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= $(or $(DASHBOARD_ADDRESS),127.0.0.1)
PORT ?= $(or $(DASHBOARD_PORT),5006)
ARGS ?=
# Server processes, each with its own ingestion (panel serve --num-procs).
WORKERS ?= $(or $(DASHBOARD_WORKERS),1)
# Sign-in is Panel's own (decision 079): BASIC_AUTH=users.json (a JSON object of
# user to password) or OAUTH_PROVIDER=generic (key, secret, extra params and
# encryption key best in PANEL_OAUTH_* variables), each with COOKIE_SECRET (or
# PANEL_COOKIE_SECRET, which stays out of the process list). SIGN_IN replaces
# them all; SERVE_ARGS reaches panel serve as it is.
BASIC_AUTH ?=
OAUTH_PROVIDER ?=
COOKIE_SECRET ?=
SIGN_IN ?= $(if $(BASIC_AUTH),--basic-auth $(BASIC_AUTH)) \
	$(if $(OAUTH_PROVIDER),--oauth-provider $(OAUTH_PROVIDER)) \
	$(if $(COOKIE_SECRET),--cookie-secret $(COOKIE_SECRET))
SERVE_ARGS ?=
# Panel's own sign-in and signed-out pages load a logo from its CDN: ours need
# nothing from outside (decision 079).
SIGN_IN_PAGES = --basic-login-template app/page/templates/login.html \
	--logout-template app/page/templates/logout.html

.PHONY: install run test test-fast lint format bench soak screenshot clean

# pip compiling every module of every package took 25 of its 40 s on a fresh
# venv; Python compiles only what it imports instead, once, into the venv (its
# own cache folder: the work tree gets no __pycache__), whatever this machine's
# PYTHONDONTWRITEBYTECODE says.
export PYTHONPYCACHEPREFIX := $(abspath $(VENV))/pycache
unexport PYTHONDONTWRITEBYTECODE

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --no-compile \
		-e '.[dev,kafka,nexus]'
	@touch $(STAMP)

install: $(STAMP)

# --setup starts each process's ingestion as the process starts, before any
# browser opens; --warm builds the page once so the first one opens fast.
SERVE = app/dashboard.py --address $(HOST) --port $(PORT) \
	--allow-websocket-origin $(HOST):$(PORT) --num-procs $(WORKERS) \
	$(strip $(SIGN_IN)) $(SIGN_IN_PAGES) $(SERVE_ARGS) \
	--setup app/process_start.py --warm $(if $(ARGS),--args $(ARGS))

# A network address without sign-in is refused before the port opens, unless
# ARGS says --no-sign-in (app/sign_in.py; process_start.py checks it again).
run: install
	@$(PY) -m app.sign_in $(SERVE)
	$(VENV)/bin/panel serve $(SERVE)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Three workers, whole files each (a file's served process, browser and tab are
# shared by its tests). Two kept the 2-core machine about one core busy: most
# of a test is waiting for a page, a frame or a period. Three finish in about
# 3:45 instead of 4:00-5:00; the tests that load the machine (session churn,
# workers) take longer but hold (docs/performance.md).
test: lint
	$(PY) -m pytest -n 3 --dist loadfile --durations=15

# The edit loop: everything but browsers, Kafka's mock cluster and served processes.
test-fast: install
	$(PY) -m pytest -q -n 2 --dist loadfile -m "not browser and not kafka and not server"

# Refreshes the README's picture: the default layout on a 1920x1080 screen.
screenshot: install
	DASHBOARD_SCREENSHOT=$(CURDIR)/docs/dashboard.png $(PY) -m pytest -q \
		tests/browser/test_card_room.py -k data_areas

bench: install
	@cd bench && for script in bench_*.py; do echo "== $$script"; ../$(PY) $$script || exit 1; done

# Half an hour of two tabs at 20 Hz; SOAK_MINUTES=5 for a shorter one.
soak: install
	cd bench && ../$(PY) soak.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
