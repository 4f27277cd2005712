"""Training throughput: the project's loop (`training.train.train`, i.e. Trainer with
evaluation, checkpoints and early stopping) against a bare forward+backward+AdamW
loop of the same model on batches of the same shapes. Prints tokens per second
(real characters, padding excluded) and their ratio (goal: >= 0.8).

    python bench/train_throughput.py                      # offline-small on the seeds, CPU
    python bench/train_throughput.py --set training.epochs=10
On a GPU both loops run there, the project's with bf16 where supported and the bare one under bf16 autocast.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from pathlib import Path

import torch
from transformers import set_seed

from training.annotations import load_folders
from training.config import load_config
from training.dataset import build_dataset, select
from training.infer import bf16_capable, pick_device
from training.lexicon import default_lexicon
from training.modeling import build_model
from training.tags import tag_names
from training.text import simplified_view
from training.train import CharCollator, train
from training.vocab import CharVocab
from training.windows import IGNORE_INDEX


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("configs/offline-small.yaml"))
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        overrides = [
            f"output_dir={scratch}",
            "run_name=bench",
            "training.epochs=5",
            "training.early_stopping_patience=1000",
            *args.overrides,
        ]
        config = load_config(args.config, overrides)
        documents, labels = load_folders(config.data.annotations)
        set_seed(config.seed)
        tags = tag_names(config.data.tagging_scheme, labels)
        tokenizer, model = build_model(config.model, tags, [simplified_view(d.text) for d in documents], Path(scratch))
        windows = build_dataset(
            select(documents, config.data.split.train),
            CharVocab(tokenizer),
            tags,
            config.data.tagging_scheme,
            config.data.max_length,
            config.data.window_overlap,
            default_lexicon() if config.model.lexicon else None,
        ).remove_columns(["doc_id", "char_start"])
        tokens_per_epoch = sum(len(row) - 2 for row in windows["input_ids"])
        steps_per_epoch = math.ceil(len(windows) / config.training.batch_size)

        model_dir = train(config, progress=False)
        run = json.loads((model_dir / "run.json").read_text())
        project_tokens = run["global_step"] * tokens_per_epoch / steps_per_epoch
        project_rate = project_tokens / run["train_runtime_s"]

        device = pick_device()
        model.to(device).train()
        optimizer = torch.optim.AdamW(
            model.parameters(), lr=config.training.learning_rate, weight_decay=config.training.weight_decay
        )
        collate = CharCollator(tokenizer, label_pad_token_id=IGNORE_INDEX)
        generator = torch.Generator().manual_seed(config.seed)
        bare_tokens, started = 0, time.perf_counter()
        for step in range(run["global_step"]):
            if step % steps_per_epoch == 0:
                order = torch.randperm(len(windows), generator=generator).tolist()
            rows = order[(step % steps_per_epoch) * config.training.batch_size :][: config.training.batch_size]
            batch = {key: value.to(device) for key, value in collate([windows[i] for i in rows]).items()}
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=bf16_capable(device)):
                loss = model(**batch).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            bare_tokens += int(batch["attention_mask"].sum()) - 2 * len(rows)
        if device.type == "cuda":
            torch.cuda.synchronize()
        bare_rate = bare_tokens / (time.perf_counter() - started)

    print(
        f"device: {device} ({torch.cuda.get_device_name() if device.type == 'cuda' else f'{torch.get_num_threads()} CPU threads'})"
    )
    print(
        f"config: {args.config} {' '.join(args.overrides)}; {run['global_step']} steps of batch {config.training.batch_size}"
    )
    print(
        f"project loop (Trainer + eval + checkpoints): {project_rate:10.0f} tokens/s  ({run['train_runtime_s']:.1f} s)"
    )
    print(f"bare forward+backward+AdamW loop:            {bare_rate:10.0f} tokens/s")
    print(f"ratio project / bare: {project_rate / bare_rate:.2f}  (goal >= 0.80)")


if __name__ == "__main__":
    main()
