# adaptcls: `make demo` trains on the built-in digits data, `make test` runs the test suite.
# Both create the virtual environment .venv (if absent) and install adaptcls into it first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.adaptcls-installed
DEMO_CONFIG ?= configs/effnet_lite0_demo.py
DEMO_DATA ?= data/digits
DEMO_WORK_DIR ?= work_dirs/demo

.PHONY: install demo test bench clean-demo

install: $(STAMP)

$(STAMP): setup.py requirements/runtime.txt requirements/deploy.txt requirements/tests.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[all]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) tools/make_demo_data.py --out $(DEMO_DATA)
	$(PY) tools/train.py $(DEMO_CONFIG) --data-root $(DEMO_DATA) --work-dir $(DEMO_WORK_DIR)

test: $(STAMP)
	$(PY) -m pytest -q tests

clean-demo:
	rm -rf $(DEMO_DATA) $(DEMO_WORK_DIR)
