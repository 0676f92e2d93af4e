# adaptcls: `make demo` trains on the built-in digits data, `make test` runs the test suite.
# Both create the virtual environment .venv (if absent) and install adaptcls into it first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.adaptcls-installed
DEMO_CONFIG ?= configs/effnet_lite0_adaptive_demo.py
DEMO_DATA ?= data/digits
DEMO_WORK_DIR ?= work_dirs/demo

.PHONY: install demo test bench clean-demo

install: $(STAMP)

$(STAMP): setup.py $(wildcard requirements/*.txt)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[all]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) tools/make_demo_data.py --out $(DEMO_DATA)
	$(PY) tools/train.py $(DEMO_CONFIG) --data-root $(DEMO_DATA) --work-dir $(DEMO_WORK_DIR)

# One pytest process per test folder (and one for tests/test_*.py). In one process, after some 400 tests, the native
# libraries' state (OpenVINO, ONNX Runtime and torch keep hundreds of threads alive) ended in a heap corruption (a
# segfault in malloc, 2026-12-01; each folder alone, and several together, pass); separate processes keep each
# folder's native state to itself. The status is non-zero when any folder fails; every folder runs.
TEST_TARGETS = tests/test_*.py $(sort $(dir $(wildcard tests/*/__init__.py)))

test: $(STAMP)
	@status=0; for target in $(TEST_TARGETS); do \
		echo "== pytest $$target"; $(PY) -m pytest -q $$target || status=1; \
	done; exit $$status

# Every benchmark in benchmarks/, then benchmarks/results/REPORT.md from their JSON. Long on a 2-core CPU (the
# LR search and recipe benchmarks train many models; the recipe benchmark is resumable). deploy.py exports the `make demo` model
# (trained first if absent).
bench: $(STAMP)
	$(PY) tools/make_demo_data.py --out $(DEMO_DATA)
	$(PY) benchmarks/train_throughput.py --profile
	$(PY) benchmarks/data_pipeline.py --data-root $(DEMO_DATA)
	test -f $(DEMO_WORK_DIR)/summary.json || $(MAKE) demo
	$(PY) benchmarks/deploy.py --config $(DEMO_CONFIG) --data-root $(DEMO_DATA) \
		--checkpoint $(DEMO_WORK_DIR)/best.pth --export-dir $(DEMO_WORK_DIR)/export
	$(PY) benchmarks/lr_search.py --quick --data-root $(DEMO_DATA)
	$(PY) benchmarks/recipe_benchmark.py
	$(PY) benchmarks/make_report.py

clean-demo:
	rm -rf $(DEMO_DATA) $(DEMO_WORK_DIR)
