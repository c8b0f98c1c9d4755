# GRC Petals: developer entry points. Every target sets up what it needs on a fresh
# machine (Python 3.11 for .venv; Python 3.12+ for .venv-typecheck, see below).
#
#   make test       .venv + build + validate + typecheck + pytest (what .ci/run runs)
#   make demo       .venv + build + tools/demo.py  -> out/context_sweep.png (animated), out/contact_sheet.png, out/flower_bloom.png, out/context_traces.png, out/demo.blend
#   make dist       per-platform zips with torch CPU wheels bundled -> dist/grc-<ver>-<platform>.zip
#   make dist-check install + enable the linux-x64 dist zip in headless Blender (bpy) and train once
#   make build      dist/grc-<ver>.zip (no wheels) with Blender's own extension builder
#   make validate   Blender's validator on the source folder and on the built zip
#   make typecheck  mypy + fake-bpy-module on model_core/ operators/ panels/ grc_blender/
#   make bench      every bench/*.py in turn (BENCH_ARGS=... passed to each)
#   make test-blender VERSION=4.2|4.5|5.0|5.2|5.3
#                   the Blender suite (tests/blender) on that Blender's bpy wheel, in its own venv
#                   (.venv for 5.0, else .venv-blender-<VERSION>); PYTEST_ARGS=... passed to pytest,
#                   ORDER=reverse|shuffle[:<seed>] reorders the tests (each must pass in any order)
#   make test-blender-all   test-blender on every version in turn, one at a time
#   make clean      remove build outputs and caches (keeps the venvs); `make distclean` also the venvs

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3.11
VENV := .venv
VPY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.grc-requirements-dev

# fake-bpy-module must never share a venv with the real bpy wheel (it writes stub files into
# the bpy package), so type checking has its own venv. Its stubs use PEP 695 generics, which
# mypy only parses when running on Python >= 3.12: TYPECHECK_PYTHON picks python3.12 (on PATH
# or from pyenv), else python3.13. Override with `make typecheck TYPECHECK_PYTHON=/path/python3.12`.
TVENV := .venv-typecheck
TPY := $(TVENV)/bin/python
TVENV_STAMP := $(TVENV)/.grc-requirements-typecheck
TYPECHECK_PYTHON ?=
PYENV_ROOT ?= $(or $(shell pyenv root 2>/dev/null),$(HOME)/.pyenv)

PIP_QUIET_FILTER := grep -v -e "^WARNING: Location 'file:" || true

.PHONY: help venv typecheck-venv build validate typecheck test pytest demo dist dist-check \
        bench clean distclean blender-venv test-blender test-blender-all

help:
	@sed -n '1,/^$$/p' Makefile | sed -n 's/^# \{0,1\}//p'

# --- environments ------------------------------------------------------------------------

venv: $(VENV_STAMP)

$(VENV_STAMP): requirements/dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (needed for .venv)"; exit 1; }
	@if [ ! -x $(VPY) ]; then echo "creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); fi
	@echo "installing requirements/dev.txt into $(VENV) (torch==2.13.0 CPU, bpy==5.0.1, ...)"
	$(VPY) -m pip install --disable-pip-version-check -q -r requirements/dev.txt 2>&1 | { $(PIP_QUIET_FILTER); }
	@if $(VPY) -m pip show -q fake-bpy-module >/dev/null 2>&1; then \
	  echo "error: fake-bpy-module is installed in $(VENV): it overwrites the real bpy package;"; \
	  echo "       remove $(VENV) and run make venv again (stubs belong in $(TVENV))"; exit 1; fi
	@touch $@

typecheck-venv: $(TVENV_STAMP)

$(TVENV_STAMP): requirements/typecheck.txt
	@py="$(TYPECHECK_PYTHON)"; \
	if [ -z "$$py" ]; then \
	  for c in python3.12 $(wildcard $(PYENV_ROOT)/versions/3.12*/bin/python3.12) \
	           python3.13 $(wildcard $(PYENV_ROOT)/versions/3.13*/bin/python3.13); do \
	    if "$$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then py="$$c"; break; fi; \
	  done; \
	fi; \
	if [ -z "$$py" ]; then \
	  echo "error: make typecheck needs Python >= 3.12 (fake-bpy-module stubs use PEP 695);"; \
	  echo "       none found: set TYPECHECK_PYTHON=/path/to/python3.12"; exit 1; fi; \
	if [ -x $(TPY) ] && ! $(TPY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
	  echo "$(TVENV) uses Python < 3.12: recreating it"; rm -rf $(TVENV); fi; \
	if [ ! -x $(TPY) ]; then echo "creating $(TVENV) with $$py"; "$$py" -m venv $(TVENV); fi
	@echo "installing requirements/typecheck.txt into $(TVENV) (fake-bpy-module, mypy, numpy)"
	$(TPY) -m pip install --disable-pip-version-check -q -r requirements/typecheck.txt 2>&1 | { $(PIP_QUIET_FILTER); }
	@touch $@

# --- build, validate, type check, test --------------------------------------------------

build: venv
	$(VPY) tools/build_extension.py build

validate: build
	$(VPY) tools/build_extension.py validate . --built

typecheck: typecheck-venv
	$(TPY) tools/typecheck.py

pytest: venv
	$(VPY) -m pytest tests -q

# The type check and the test suite both run even if the first fails; either failing fails.
test: venv build validate typecheck-venv
	@rc=0; \
	echo "$(TPY) tools/typecheck.py"; $(TPY) tools/typecheck.py || rc=1; \
	echo "$(VPY) -m pytest tests -q"; $(VPY) -m pytest tests -q || rc=1; \
	if [ $$rc -ne 0 ]; then echo "make test: FAILED (type check and/or tests, see above)" >&2; fi; \
	exit $$rc

# --- the Blender matrix ----------------------------------------------------------------
# One venv per Blender: PyPI's bpy wheel of that release on its Python (3.11 for 4.2 - 5.0,
# 3.13 for 5.1+). 5.0 is the default Blender and uses .venv (requirements/dev.txt); the others
# use .venv-blender-<v> from requirements/blender-<v>.txt, whose `# python: X.Y` line names the
# interpreter (python3.13 comes from pyenv when not on PATH). The real bpy never shares a venv
# with fake-bpy-module (.venv-typecheck).

BLENDER_VERSIONS := 4.2 4.5 5.0 5.2 5.3
VERSION ?= 5.0
PYTEST_ARGS ?=
ORDER ?=
bvenv = $(if $(filter 5.0,$(1)),$(VENV),.venv-blender-$(1))
bstamp = $(if $(filter 5.0,$(1)),$(VENV_STAMP),.venv-blender-$(1)/.grc-requirements-blender)
BVENV := $(call bvenv,$(VERSION))
BPY := $(BVENV)/bin/python

.venv-blender-%/.grc-requirements-blender: requirements/blender-%.txt
	@pyv=$$(sed -n 's/^# python: *//p' $<); \
	if [ -z "$$pyv" ]; then echo "error: $< has no '# python: X.Y' line"; exit 1; fi; \
	py=""; \
	for c in python$$pyv $(PYENV_ROOT)/versions/$$pyv*/bin/python$$pyv; do \
	  if "$$c" -c "import sys; sys.exit(f'{sys.version_info[0]}.{sys.version_info[1]}' != '$$pyv')" >/dev/null 2>&1; \
	  then py="$$c"; break; fi; \
	done; \
	if [ -z "$$py" ]; then echo "error: Blender $* needs Python $$pyv (on PATH or under $(PYENV_ROOT)/versions)"; exit 1; fi; \
	if [ -x .venv-blender-$*/bin/python ] && ! .venv-blender-$*/bin/python -c "import sys; sys.exit(f'{sys.version_info[0]}.{sys.version_info[1]}' != '$$pyv')"; then \
	  echo ".venv-blender-$* is not Python $$pyv: recreating it"; rm -rf .venv-blender-$*; fi; \
	if [ ! -x .venv-blender-$*/bin/python ]; then echo "creating .venv-blender-$* with $$py"; "$$py" -m venv .venv-blender-$*; fi
	@echo "installing $< into .venv-blender-$*"
	.venv-blender-$*/bin/python -m pip install --disable-pip-version-check -q -r $< 2>&1 | { $(PIP_QUIET_FILTER); }
	@if .venv-blender-$*/bin/python -m pip show -q fake-bpy-module >/dev/null 2>&1; then \
	  echo "error: fake-bpy-module is installed in .venv-blender-$*: remove the venv"; exit 1; fi
	@touch $@

blender-venv: $(call bstamp,$(VERSION))

# Build the zip with this Blender's own builder and validate it with its validator, then run
# tests/blender, which builds the zip again, installs it into a temp user folder and enables it.
test-blender: $(call bstamp,$(VERSION))
	@case " $(BLENDER_VERSIONS) " in *" $(VERSION) "*) ;; \
	  *) echo "error: VERSION=$(VERSION): choose one of $(BLENDER_VERSIONS)"; exit 1;; esac
	@$(BPY) -c 'import bpy, sys; print(f"Blender {bpy.app.version_string} (bpy), Python {sys.version.split()[0]}, $(BVENV)")'
	$(BPY) tools/build_extension.py build --output-dir build/blender-$(VERSION)
	$(BPY) tools/build_extension.py validate build/blender-$(VERSION)/grc-*.zip
	GRC_TEST_ORDER="$(ORDER)" $(BPY) -m pytest tests/blender -q $(PYTEST_ARGS)

test-blender-all:
	@rc=0; for v in $(BLENDER_VERSIONS); do \
	  echo "== make test-blender VERSION=$$v"; \
	  $(MAKE) --no-print-directory test-blender VERSION=$$v || { rc=1; echo "== Blender $$v: FAILED"; }; \
	done; exit $$rc

# --- demo, dist, bench ------------------------------------------------------------------

demo: venv build
	$(VPY) tools/demo.py

dist: venv
	$(VPY) tools/dist.py

dist-check: venv
	$(VPY) tools/dist.py --check

bench: venv build
	@if [ -f bench/__main__.py ]; then $(VPY) -m bench $(BENCH_ARGS); \
	else shopt -s nullglob; files=(); for f in bench/*.py; do [[ $$(basename $$f) == _* ]] || files+=("$$f"); done; \
	  if [ $${#files[@]} -eq 0 ]; then echo "error: no benchmarks under bench/"; exit 1; fi; \
	  for f in "$${files[@]}"; do echo "== $$f $(BENCH_ARGS)"; $(VPY) "$$f" $(BENCH_ARGS); done; fi

# --- housekeeping ----------------------------------------------------------------------

clean:
	rm -rf dist out build .cache .mypy_cache .pytest_cache .hypothesis
	find . -path ./$(VENV) -prune -o -path ./$(TVENV) -prune -o -path './.venv-blender-*' -prune -o -name __pycache__ -type d -print0 \
	  | xargs -0 rm -rf

distclean: clean
	rm -rf $(VENV) $(TVENV) .venv-blender-*
