# The set-up commands of the README: `make run`, `make test`, `make bench`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test bench bench-smoke translations install install-test install-bench clean up up-cluster down test-containers

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test
install-bench: $(VENV)/.installed-bench

run: install  ## start the whole system on the embedded default (or what the environment names)
	$(BIN)/python -m services run

test: install-test  ## run the whole test suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-containers: install-test  ## only the containers tests (needs a Docker engine)
	$(BIN)/python -m pytest -m containers $(PYTEST_ARGS)

bench: install-bench  ## measure DESIGN section 7's figures against baselines; writes docs/benchmarks.md
	$(BIN)/python -m bench

bench-smoke: install-bench  ## the benchmark scenarios at tiny sizes, checking outcomes only (CI)
	$(BIN)/python -m bench --smoke

translations: install  ## extract the front end's messages into web/translations (.pot, and each .po to translate)
	$(BIN)/python -m web.translation_files

up:  ## build the image, start docker-compose.yml detached, wait until healthy, print the URL
	deploy/compose.sh up

up-cluster:  ## the same on a three-node RabbitMQ cluster with two replicas of every process (deploy/cluster.yml)
	COMPOSE_FILE=docker-compose.yml:deploy/cluster.yml deploy/compose.sh up

down:  ## remove the compose stack's containers and volumes (asks first on a terminal)
	deploy/compose.sh down

clean:
	rm -rf $(VENV) var .pytest_cache
