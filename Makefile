# faultline - build, run, test.  `make help` lists the targets.
#
# Dependencies are Debian packages, found with pkg-config and installed with apt-get when
# missing (as root, or through sudo): libxxhash-dev (state hashing), libfyaml-dev (scenario
# files), libcriterion-dev (tests). Sources are collected with wildcards: a new component in
# model/ or spec in specs/ needs no edit here.

SHELL    := /bin/bash
CC       ?= cc
PREFIX   ?= /usr/local
SCENARIO ?= scenarios/active-active/f5-random.yaml
RUNFLAGS ?=

PKGS      := libxxhash libfyaml
TEST_PKGS := criterion
# pkg-config name : the Debian package that provides it
PKG_DEBS  := libxxhash:libxxhash-dev libfyaml:libfyaml-dev criterion:libcriterion-dev

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wconversion -Wswitch-enum -Wformat=2 -Wvla -fno-common
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -MMD -MP

SRC      := $(wildcard checker/*.c model/*.c specs/*.c)
LIB_SRC  := $(filter-out checker/cli.c,$(SRC))
TEST_SRC := $(wildcard test/*.c test/*/*.c)

# One build directory per flag set.
REL_DIR  := build/release
ASAN_DIR := build/asan-$(notdir $(CC))
REL_FLAGS  := -O2 -g
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=all -Werror

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PKG_CONFIG ?= pkg-config

.PHONY: all run test check bench install clean help deps test-deps test-browser
all: build/faultline

# --- dependencies ------------------------------------------------------------------------
# Installs what pkg-config cannot find. Runs before every build; it costs a few milliseconds
# when everything is present.
define ensure_pkgs
	@command -v $(PKG_CONFIG) >/dev/null 2>&1 || { echo "installing pkg-config"; \
	  $(SUDO) apt-get install -y -q pkg-config >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q pkg-config; }; }
	@debs=""; for p in $(1); do $(PKG_CONFIG) --exists $$p && continue; \
	  for pd in $(PKG_DEBS); do [ "$${pd%%:*}" = $$p ] && debs="$$debs $${pd#*:}"; done; done; \
	if [ -n "$$debs" ]; then \
	  echo "installing$$debs"; export DEBIAN_FRONTEND=noninteractive; \
	  $(SUDO) apt-get install -y -q $$debs >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q $$debs; } || \
	  { echo "could not install$$debs: install them with apt-get and retry"; exit 1; }; \
	fi
endef

deps:
	$(call ensure_pkgs,$(PKGS))

test-deps: deps
	$(call ensure_pkgs,$(TEST_PKGS))

LIBS       = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lm -pthread
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
TEST_LIBS  = $(shell $(PKG_CONFIG) --libs $(TEST_PKGS) 2>/dev/null)

# --- release build -----------------------------------------------------------------------
REL_OBJ  := $(SRC:%.c=$(REL_DIR)/%.o)
REL_LIB  := $(LIB_SRC:%.c=$(REL_DIR)/%.o)
REL_TOBJ := $(TEST_SRC:%.c=$(REL_DIR)/%.o)

$(REL_DIR)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(REL_FLAGS) $(PKG_CFLAGS) $(CFLAGS) -c $< -o $@

$(REL_DIR)/faultline: $(REL_OBJ)
	$(CC) $(REL_FLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

# Copy then rename, so a running build/faultline is replaced rather than overwritten.
build/faultline: $(REL_DIR)/faultline
	cp $< $@.tmp && mv -f $@.tmp $@

$(REL_DIR)/tests: $(REL_LIB) $(REL_TOBJ) | test-deps
	$(CC) $(REL_FLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) $(TEST_LIBS) -pthread

$(REL_TOBJ): | test-deps

# --- sanitizer build ---------------------------------------------------------------------
ASAN_LIB  := $(LIB_SRC:%.c=$(ASAN_DIR)/%.o)
ASAN_TOBJ := $(TEST_SRC:%.c=$(ASAN_DIR)/%.o)
ASAN_OBJ  := $(SRC:%.c=$(ASAN_DIR)/%.o)

$(ASAN_DIR)/%.o: %.c | test-deps
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(ASAN_FLAGS) $(PKG_CFLAGS) $(CFLAGS) -c $< -o $@

$(ASAN_DIR)/tests: $(ASAN_LIB) $(ASAN_TOBJ)
	$(CC) $(ASAN_FLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) $(TEST_LIBS) -pthread

$(ASAN_DIR)/faultline: $(ASAN_OBJ)
	$(CC) $(ASAN_FLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

-include $(shell find build -name '*.d' 2>/dev/null)

# --- what people type --------------------------------------------------------------------
# `make run` exits 0 when the check found what it was run for: exit code 1 means a spec is
# violated, which the default scenario expects (its verdicts are printed against `expect:`).
run: build/faultline
	@./build/faultline check $(SCENARIO) $(RUNFLAGS); rc=$$?; \
	if [ $$rc -eq 1 ]; then echo "(exit code 1: a spec is violated, see above)"; exit 0; fi; exit $$rc

# Tests run on the release build with 2 workers; FAULTLINE is the CLI they drive.
TEST_JOBS ?= 2
test: build/faultline $(REL_DIR)/tests
	FAULTLINE=$(CURDIR)/build/faultline $(REL_DIR)/tests --jobs=$(TEST_JOBS) $(TESTFLAGS)

# Tests under AddressSanitizer and UBSan with -Werror, with gcc, then clang if installed.
# clang's sanitizer runtime is a separate Debian package; it is installed when missing.
check:
	$(MAKE) --no-print-directory CC=gcc check-one
	@if ! command -v clang >/dev/null 2>&1; then echo "clang not installed: clang run skipped"; \
	elif ! $(call clang_asan_ok) && ! { echo "installing libclang-rt-dev"; \
	  $(SUDO) apt-get install -y -q libclang-rt-dev >/dev/null 2>&1 && $(call clang_asan_ok); }; then \
	  echo "clang cannot link sanitized programs here: clang run skipped"; \
	else $(MAKE) --no-print-directory CC=clang check-one; fi

clang_asan_ok = echo 'int main(void){return 0;}' | \
	clang -x c -fsanitize=address,undefined -o build/.asan-probe - >/dev/null 2>&1

.PHONY: check-one
# Criterion counts a test as passed even when LeakSanitizer reports at its exit, so the log is
# searched for sanitizer reports as well.
check-one: $(ASAN_DIR)/tests $(ASAN_DIR)/faultline
	set -o pipefail; ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	FAULTLINE=$(CURDIR)/$(ASAN_DIR)/faultline FAULTLINE_SANITIZED=1 \
	$(ASAN_DIR)/tests --jobs=$(TEST_JOBS) $(TESTFLAGS) 2>&1 | tee $(ASAN_DIR)/tests.log
	@if grep -qE "ERROR: (Leak|Address)Sanitizer|runtime error:" $(ASAN_DIR)/tests.log; then \
	  echo "sanitizer reports in $(ASAN_DIR)/tests.log (see above)"; exit 1; fi

# The HTML report in headless Chromium through chromedriver (installs chromium,
# chromium-driver and curl when missing); screenshots land in build/artefacts/.
test-browser: build/faultline
	@bash test/browser/report-test.sh

# Benchmark programs: bench/NAME.c -> build/bench-NAME, with the library and the hand-built
# TwoPhase.tla model (test/twophase.c), in release flags.
BENCH_BIN := $(patsubst bench/%.c,build/bench-%,$(wildcard bench/*.c))

$(BENCH_BIN): build/bench-%: $(REL_DIR)/bench/%.o $(REL_DIR)/test/twophase.o $(REL_LIB)
	$(CC) $(REL_FLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

bench: build/faultline $(BENCH_BIN)
	@bash bench/run.sh

install: build/faultline
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 build/faultline $(DESTDIR)$(PREFIX)/bin/faultline

clean:
	rm -rf build

help:
	@echo "make            build build/faultline"
	@echo "make run        build, then check $(SCENARIO) (RUNFLAGS=... adds options)"
	@echo "make test       the Criterion test suite"
	@echo "make check      the tests under AddressSanitizer + UBSan with -Werror (gcc, clang)"
	@echo "make test-browser  the HTML report checked in headless Chromium (build/artefacts/)"
	@echo "make bench      benchmark figures as JSON lines"
	@echo "make install    install to \$$PREFIX/bin (PREFIX=$(PREFIX))"
	@echo "make clean      remove build/"
