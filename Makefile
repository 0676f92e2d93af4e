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

# The whole suite in one pytest process. It used to run one process per folder because one process died natively
# (SIGSEGV) after some 470 tests: OpenVINO's CPU plugin left the main thread on a freed alternate signal stack when
# its Cores were destroyed in creation order, and the next SIGCHLD (PyTorch's DataLoader handler) could not be
# delivered. adaptcls now keeps one Core per process (docs/reliability.md, "One process").
test: $(STAMP)
	$(PY) -m pytest -q tests

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
