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

# Every benchmark script in benchmarks/, then benchmarks/results/REPORT.md from their JSON (docs/benchmarks.md says what
# each measures). Long on a 2-core CPU: the recipe benchmark, its LR comparison and the LR searches train for many
# hours (the trainings are resumable: run `make bench` again). deploy.py and report_cost.py use the `make demo` model
# (trained first if absent).
#
# `make bench QUICK=1`: the same scripts with --quick, a smoke run with tiny settings (one seed, a few rounds or
# iterations, 10 CIFAR-10 images per class, a 1-epoch demo model): 22 minutes on a 2-core CPU shared with two
# trainings, no GPU needed. Its JSON, REPORT.md, work dirs and model go to $(BENCH_QUICK_DIR), never over
# benchmarks/results/; its figures say that every script runs, not what the code costs or reaches.
BENCH_QUICK_DIR ?= work_dirs/bench_quick
ifeq ($(QUICK),1)
BENCH_ARGS := --quick
BENCH_RESULTS := $(BENCH_QUICK_DIR)
BENCH_WORK := $(BENCH_QUICK_DIR)
BENCH_MODEL := $(BENCH_QUICK_DIR)/demo
BENCH_MODEL_TRAIN := $(PY) tools/train.py $(DEMO_CONFIG) --data-root $(DEMO_DATA) --work-dir $(BENCH_MODEL) \
	--epochs 1 --no-auto-lr --overwrite
# lr_search.py's own --quick (smaller search budgets) is what the full run records; the smoke run also trains 1 epoch
# on the CIFAR-10 subset that recipe_benchmark.py --quick writes.
BENCH_LR_SEARCH_ARGS := --train-epochs 1 --data-root data/cifar10_10x10_10x10_seed0
else
BENCH_ARGS :=
BENCH_RESULTS := benchmarks/results
BENCH_WORK := work_dirs
BENCH_MODEL := $(DEMO_WORK_DIR)
BENCH_MODEL_TRAIN := $(MAKE) demo
BENCH_LR_SEARCH_ARGS := --data-root $(DEMO_DATA)
endif

bench: $(STAMP)
	$(PY) tools/make_demo_data.py --out $(DEMO_DATA)
	test -f $(BENCH_MODEL)/summary.json || $(BENCH_MODEL_TRAIN)
	$(PY) benchmarks/train_throughput.py $(BENCH_ARGS) --profile --out $(BENCH_RESULTS)/train_throughput.json
	$(PY) benchmarks/speed_variants.py $(BENCH_ARGS) --out $(BENCH_RESULTS)/speed_variants.json
	$(PY) benchmarks/param_groups.py $(BENCH_ARGS) --out $(BENCH_RESULTS)/param_groups.json
	$(PY) benchmarks/data_pipeline.py $(BENCH_ARGS) --data-root $(DEMO_DATA) --out $(BENCH_RESULTS)/data_pipeline.json
	OMP_NUM_THREADS=1 $(PY) benchmarks/ram_cache.py $(BENCH_ARGS) --out $(BENCH_RESULTS)/ram_cache.json
	$(PY) benchmarks/cli_startup.py $(BENCH_ARGS) --results $(BENCH_RESULTS)/cli_startup.json
	$(PY) benchmarks/deploy.py $(BENCH_ARGS) --config $(DEMO_CONFIG) --data-root $(DEMO_DATA) \
		--checkpoint $(BENCH_MODEL)/best.pth --export-dir $(BENCH_MODEL)/export --out $(BENCH_RESULTS)/deploy.json
	$(PY) benchmarks/explain_cost.py $(BENCH_ARGS) --work-dir $(BENCH_WORK)/explain_cost \
		--results $(BENCH_RESULTS)/explain_cost.json
	$(PY) benchmarks/report_cost.py --work-dir $(BENCH_MODEL) --data-root $(DEMO_DATA) \
		--copy-to $(BENCH_WORK)/report_cost --results $(BENCH_RESULTS)/report_cost.json
	$(PY) benchmarks/recipe_benchmark.py $(BENCH_ARGS) --work-dir $(BENCH_WORK)/recipe_benchmark \
		--results $(BENCH_RESULTS)/recipe_benchmark.json
	$(PY) benchmarks/recipe_targets.py --results $(BENCH_RESULTS)/recipe_benchmark.json \
		--output $(BENCH_RESULTS)/recipe_targets.json
	$(PY) benchmarks/recipe_benchmark.py --lr-comparison $(BENCH_ARGS) --work-dir $(BENCH_WORK)/recipe_benchmark \
		--results $(BENCH_RESULTS)/lr_search_comparison.json
	$(PY) benchmarks/lr_search.py --quick $(BENCH_LR_SEARCH_ARGS) --work-dir $(BENCH_WORK)/bench_lr_search \
		--results $(BENCH_RESULTS)/lr_search.json
	$(PY) benchmarks/lr_estimate_cost.py $(BENCH_ARGS) --work-dir $(BENCH_WORK)/lr_estimate_cost \
		--results $(BENCH_RESULTS)/lr_estimate_cost.json
	$(PY) benchmarks/time_limit.py $(BENCH_ARGS) --work-dir $(BENCH_WORK)/time_limit \
		--reference $(BENCH_RESULTS)/recipe_benchmark.json --results $(BENCH_RESULTS)/time_limit.json
	$(PY) benchmarks/time_to_accuracy.py --results $(BENCH_RESULTS)/recipe_benchmark.json \
		--out $(BENCH_RESULTS)/time_to_accuracy.json
	$(PY) benchmarks/stopping_replay.py $(BENCH_ARGS) --work-dir $(BENCH_WORK)/recipe_benchmark \
		--set early_stop_patience=1 --results $(BENCH_RESULTS)/stopping_replay.json
	$(PY) benchmarks/lr_suggestion_noise.py $(BENCH_ARGS) --results $(BENCH_RESULTS)/lr_suggestion_noise.json \
		$(BENCH_WORK)/recipe_benchmark/*/adaptive/seed0/lr_search/trials.csv
	$(PY) benchmarks/make_report.py --results-dir $(BENCH_RESULTS)

clean-demo:
	rm -rf $(DEMO_DATA) $(DEMO_WORK_DIR)
