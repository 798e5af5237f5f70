# Convolved — every target sets up .venv first, so `make lab` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Jupyter refuses to run as root unless told; only pass the flag when we are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
# The tests use one BLAS/OpenMP thread per process: two test workers, each with a kernel, fill a
# 2-core machine. (tests/test_offline.py removes it again for strict nbval, to check the outputs
# at a learner's default thread count; `make lab` and `make execute` leave threads alone.)
test: export OMP_NUM_THREADS = 1

.PHONY: setup lab test execute images bench lint clean links

# The course package is installed editable, so uv compiles none of it: its bytecode is brought up to
# date here (0.1 s when it is). Otherwise, under a PYTHONDONTWRITEBYTECODE=1 such as this machine's,
# every kernel and test process compiles what it imports of it from source (up to 0.6 s of CPU each).
setup: $(STAMP)
	@$(BIN)/python -m compileall -q src

# Packages are installed by uv, which unpacks them in parallel from its cache and byte-compiles on
# every core: a fresh venv takes about 45 s here where pip took about 2 minutes. uv does not read
# pip's configuration, so it is given the package indexes pip is configured with (extra indexes
# and find-links, such as a machine's folder of local wheels) and, as pip does, takes the best
# match across all of them. $(1): the venv's bin folder; $(2): what to install.
UV_VERSION := 0.13.9
define install
	$(1)/python -m pip install --quiet uv==$(UV_VERSION)
	indexes="$$($(1)/python -m pip config get global.extra-index-url 2>/dev/null)"; \
	links="$${PIP_FIND_LINKS:-$$($(1)/python -m pip config get global.find-links 2>/dev/null)}"; \
	$(1)/uv pip install --quiet --python $(1)/python --compile-bytecode --index-strategy unsafe-best-match \
		$$(for index in $$indexes; do echo --extra-index-url $$index; done) \
		$$(for link in $$links; do echo --find-links $$link; done) $(2)
endef

# Recreate the venv when it is missing or broken; reinstall when the pins or the package change.
# JupyterLab's course defaults (no news pop-up, README rendered, closing a notebook stops its
# kernel) and the server's (kernel messages sent at once) are the same files Binder uses.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings
SERVER_SETTINGS := $(VENV)/etc/jupyter
$(STAMP): requirements.txt pyproject.toml binder/overrides.json binder/jupyter_server_config.py
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		(echo "Convolved needs Python 3.11 or newer as $(PYTHON) (try: make PYTHON=python3.11 ...)"; exit 1)
	@$(BIN)/python -c "" 2>/dev/null || (rm -rf $(VENV) && $(PYTHON) -m venv $(VENV))
	$(call install,$(BIN),-r requirements.txt)
	$(call install,$(BIN),--no-deps -e .)
	mkdir -p $(LAB_SETTINGS) && cp binder/overrides.json $(LAB_SETTINGS)/overrides.json
	mkdir -p $(SERVER_SETTINGS) && cp binder/jupyter_server_config.py $(SERVER_SETTINGS)/
	@touch $@

lab: setup
	$(BIN)/jupyter lab --ip=127.0.0.1 --ServerApp.root_dir=. $(ROOT_FLAG) \
		--LabApp.default_url=/lab/tree/notebooks/01_convolution_in_code.ipynb

test: setup lint
	$(BIN)/python -m pytest -n 3 --dist loadgroup  # 3 workers keep 2 cores busy while kernels start; browser tests share one

# The course on the OLDEST versions pyproject.toml claims, in a second venv: the package tests and
# every notebook with papermill (tools/test_oldest.py says what is left out, and why).
# requirements-oldest.txt is generated from pyproject.toml's floors; a stale one stops here.
OLDEST := .venv-oldest
OLDEST_STAMP := $(OLDEST)/.installed
.PHONY: test-oldest
$(OLDEST_STAMP): requirements-oldest.txt requirements.txt pyproject.toml
	$(PYTHON) tools/oldest_requirements.py --check
	@$(OLDEST)/bin/python -c "" 2>/dev/null || (rm -rf $(OLDEST) && $(PYTHON) -m venv $(OLDEST))
	$(call install,$(OLDEST)/bin,-r requirements-oldest.txt)
	$(call install,$(OLDEST)/bin,--no-deps -e .)
	@touch $@

test-oldest: export OMP_NUM_THREADS = 1
test-oldest: $(OLDEST_STAMP)
	$(OLDEST)/bin/python tools/test_oldest.py

# Re-run notebooks in place; timing cells keep their output unless TIMINGS=refresh.
execute: setup
	$(BIN)/python tools/execute_notebooks.py $(if $(filter refresh,$(TIMINGS)),--refresh-timings)

images: setup
	$(BIN)/python -m convolved.figures images

bench: setup
	$(BIN)/python tools/bench.py

# The course website in build/site/ (Sphinx + MyST-NB + sphinx-book-theme), from the committed
# notebooks as they are, then tests/test_site.py: built again with the network cut, every link and
# asset local, every page opened in Chromium (screenshots in build/screenshots/site-*.png).
# requirements-site.txt is installed once, on top of the pins it may not change (-c), and never by
# `make test`.
SITE_STAMP := $(VENV)/.site-installed
.PHONY: site
$(SITE_STAMP): requirements-site.txt $(STAMP)
	$(call install,$(BIN),-r requirements-site.txt -c requirements.txt)
	@touch $@

site: setup $(SITE_STAMP)
	$(BIN)/python tools/build_site.py
	$(BIN)/python -m pytest tests/test_site.py

# One reveal.js deck per notebook in build/slides/ (tools/build_slides.py says which cells become
# slides), from the committed notebooks as they are; then tests/test_slides.py: built again with the
# network cut, every deck opened from file:// in Chromium (screenshots in build/screenshots/slides-*).
# reveal.js and MathJax come from npm at slides/package-lock.json's versions, into build/slides-npm/.
SLIDES_NPM := build/slides-npm
SLIDES_STAMP := $(SLIDES_NPM)/.installed
.PHONY: slides
$(SLIDES_STAMP): slides/package.json slides/package-lock.json
	mkdir -p $(SLIDES_NPM) && cp slides/package.json slides/package-lock.json $(SLIDES_NPM)/
	cd $(SLIDES_NPM) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

slides: setup $(SLIDES_STAMP)
	$(BIN)/python tools/build_slides.py
	$(BIN)/python -m pytest tests/test_slides.py

# Binder and Colab links for every notebook, derived from the git remote, written into the
# README's notebook table (no links without a GitHub remote: the tool says why).
links:
	@$(PYTHON) tools/launch_links.py --write

lint: setup
	$(BIN)/ruff check src tests tools notebooks binder

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
