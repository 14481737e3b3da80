# The two commands: `make run` and `make test`. Both install missing Debian packages first.
SHELL := /bin/bash
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBS := libfcgi-dev libsqlite3-dev libargon2-dev pkg-config nginx tzdata sqlite3 python3 procps
SWIFT ?= swift

.PHONY: run test deps build release unit e2e clean

deps:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; fi
	@python3 -m pytest --version >/dev/null 2>&1 || python3 -m pip install -q pytest

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

run: release
	SALESD=$(CURDIR)/.build/release/salesd deploy/local/run.sh

unit: build
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

e2e: build
	SALESD=$(CURDIR)/.build/debug/salesd python3 -m pytest -q Tests/e2e

test: unit e2e

clean:
	rm -rf .build run
