# The two commands: `make run` and `make test`. Both install missing Debian packages first.
SHELL := /bin/bash
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBS := libfcgi-dev libsqlite3-dev libargon2-dev libpq-dev postgresql pkg-config nginx tzdata sqlite3 python3 procps apache2 lighttpd strace
SWIFT ?= swift

SOAK_SECONDS ?= 60
FUZZ_SECONDS ?= 300
FORM_FUZZ_ROUNDS ?= 12
.PHONY: run demo test deps build release lint unit unit-pg e2e browser browser-deps soak soak-ci fuzz fuzz-ci fuzz-forms fuzz-forms-ci bench bench-smoke clean

deps:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; fi
	@python3 -m pytest --version >/dev/null 2>&1 || python3 -m pip install -q pytest
	@python3 -c "import xdist" 2>/dev/null || python3 -m pip install -q pytest-xdist \
	  || python3 -m pip install -q --break-system-packages pytest-xdist

build: deps
	$(SWIFT) build

# One release build for `make run`, the benchmarks and the package (same flags: built once).
release: deps
	$(SWIFT) build -c release --static-swift-stdlib --product salesd

run: release
	SALESD=$(CURDIR)/.build/release/salesd deploy/local/run.sh

# `make run` on a database of its own (DEMO_DATA_DIR, default ./demo-data) that a first start fills
# with the demo company (`salesd demo`): staff in every role, customers, orders, complaints, returns,
# suggestions; the logins (one shared password) are printed. Later starts keep what is there.
DEMO_DATA_DIR ?= $(CURDIR)/demo-data
demo: release
	SALESD=$(CURDIR)/.build/release/salesd DATA_DIR=$(DEMO_DATA_DIR) DEMO=1 deploy/local/run.sh

# No traps in request code (issue 12): force unwraps, try!/as!, fatalError, unchecked narrowing.
lint:
	python3 Tests/lint/trapcheck.py --self-test
	python3 Tests/lint/trapcheck.py

unit: build
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# The same suites on PostgreSQL (issue #17): every TestApp takes a fresh database of a real
# PostgreSQL server this test process starts as the postgres user (private port and socket).
# The suites that never touch a database run once, in `unit`: FastCGITests, SalesKitTests, and
# the host's template, page-model, time-format and configuration suites (the renderer's
# byte-for-byte comparison with swift-mustache alone is half a minute).
# About 2½ minutes on 2 cores; runs in `make test`.
PURE_HOST_SUITES := RendererTests PageModelTests HandBuiltValueTests TimeFormatTests ConfigTests DatabaseURLConfigTests RequestPathShortcutTests
unit-pg: build
	$(SWIFT) build --build-tests
	SALES_TEST_BACKEND=postgresql $(SWIFT) test --skip-build --skip FastCGITests --skip SalesKitTests \
	  $(foreach s,$(PURE_HOST_SUITES),--skip '\.$(s)/')

# On two workers (pytest-xdist; slowest modules first, see conftest.py): about 5 minutes instead
# of 8. The write-path check reads the statements every responder of the run recorded under the
# write lock (one file for both workers), so it runs after them.
e2e: build
	@trace=$$(mktemp -d); export SALES_WRITE_TRACE_FILE=$$trace/statements.txt SALESD=$(CURDIR)/.build/debug/salesd; \
	python3 -m pytest -q -n 2 --durations=12 -m "not soak and not formfuzz" --ignore=Tests/e2e/test_write_path.py Tests/e2e \
	  && python3 -m pytest -q Tests/e2e/test_write_path.py; rc=$$?; rm -rf $$trace; exit $$rc

# The shared layout in a real browser (Tests/browser): Debian's chromium + chromium-driver driven
# by Selenium through nginx + salesd; layout checks at 1366 and 390 px; screenshots in build/screenshots/.
BROWSER_DEBS := chromium chromium-driver fonts-noto-cjk
browser-deps:
	@missing=""; for p in $(BROWSER_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	python3 -m pip --version >/dev/null 2>&1 || missing="$$missing python3-pip"; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; fi
	@python3 -c "import selenium" 2>/dev/null || python3 -m pip install -q selenium \
	  || python3 -m pip install -q --break-system-packages selenium

browser: build browser-deps
	SALESD=$(CURDIR)/.build/debug/salesd timeout 300 python3 -m pytest -q Tests/browser

# Mixed load at 64 connections through nginx; RSS, fds, 5xx and stored counts checked.
soak: build
	SOAK_SECONDS=$(SOAK_SECONDS) SALESD=$(CURDIR)/.build/debug/salesd python3 -m pytest -q -s -m soak Tests/e2e/test_soak.py

soak-ci: build
	SOAK_SECONDS=20 SALESD=$(CURDIR)/.build/debug/salesd python3 -m pytest -q -s -m soak Tests/e2e/test_soak.py

# libFuzzer targets (Tests/Fuzz): each runs $(FUZZ_SECONDS) s; exits 1 on a crash, hang or OOM.
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) Tests/Fuzz/run.sh

fuzz-ci:
	FUZZ_SECONDS=12 Tests/Fuzz/run.sh

# Every declared form (`salesd forms`) through nginx as several roles with seeded generated values
# (Tests/e2e/test_form_fuzz.py): no 5xx, no worker restart, 422 with every value kept or 303 stored
# as typed. The seed is printed; FORM_FUZZ_SEED=<seed> replays a run.
fuzz-forms: build
	FORM_FUZZ_ROUNDS=$(FORM_FUZZ_ROUNDS) FORM_FUZZ_PER_ROLE=8 FORM_FUZZ_ROLES_PER_FORM=5 FORM_FUZZ_BUDGET_S=3600 \
	  FORM_FUZZ_SEED=$(FORM_FUZZ_SEED) SALESD=$(CURDIR)/.build/debug/salesd python3 -m pytest -q -s -m formfuzz Tests/e2e/test_form_fuzz.py

fuzz-forms-ci: build
	FORM_FUZZ_ROUNDS=1 FORM_FUZZ_SEED=$(FORM_FUZZ_SEED) SALESD=$(CURDIR)/.build/debug/salesd \
	  python3 -m pytest -q -s -m formfuzz Tests/e2e/test_form_fuzz.py

# salesd vs the C libfcgi reference through nginx with wrk → bench/RESULTS.md (see README: Performance).
bench: deps
	SWIFT=$(SWIFT) python3 bench/run.py $(BENCH_FLAGS)

# The harness end to end on small data (~30 s after the build); asserts no figure.
bench-smoke: deps
	SWIFT=$(SWIFT) python3 bench/run.py --smoke

# Debian package (issue 18): build/salesd_<version>_amd64.deb, Swift runtime linked statically,
# for a Debian 12 without Swift (deploy/debian/). DEB_VERSION=… overrides `salesd --version`.
.PHONY: deb deb-test
deb: release
	VERSION=$(DEB_VERSION) deploy/debian/build-deb.sh

# The package installed, used through nginx, upgraded, removed and purged in a Debian 12 root made
# with debootstrap, then the same booted with systemd (systemd-nspawn) (Tests/deb/test_deb.py; the
# root is cached in ~/.cache/salesd-tests/deb-root.tar). Skips, saying why, without root or a reachable Debian mirror.
deb-test: deb
	@missing=""; for p in debootstrap systemd-container; do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing || \
	  echo "deb-test: could not install$$missing (the test says what it skips)"; fi
	python3 -m pytest -q -s -rs Tests/deb

test: lint unit unit-pg e2e browser soak-ci fuzz-ci fuzz-forms-ci bench-smoke deb-test

clean:
	rm -rf .build run
