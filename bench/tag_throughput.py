"""Tagging throughput: `xiezuo-ner tag` end to end (files in, JSON lines out) against the
bare model forward over the same windows, in characters per second, as a ratio
(goal: >= 0.8); then the peak memory of tagging a 1 MB article (--big-mb for another size).

    python bench/tag_throughput.py --model models/xiezuo-small
The corpus is the five seeds repeated (--copies) as separate files.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from typer.testing import CliRunner

from training.cli import app
from training.infer import Tagger, pad_batch
from training.text import normalise, read_article

PEAK_SCRIPT = """
import resource, sys
from training.infer import Tagger
tagger = Tagger.from_pretrained(sys.argv[1])
text = open(sys.argv[2], encoding="utf-8").read() if len(sys.argv) > 2 else "平塘县"
entities = tagger(text).entities
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, len(text), len(entities))
"""


def peak_rss_mib(model: Path, article: Path | None) -> tuple[int, int, int]:
    command = [sys.executable, "-c", PEAK_SCRIPT, str(model)] + ([str(article)] if article else [])
    rss, chars, entities = subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()
    return int(rss), int(chars), int(entities)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("models/xiezuo-small"))
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--big-mb", type=float, default=1.0, help="size of the long article for the memory figure")
    args = parser.parse_args()
    seeds = sorted(Path("seeds").glob("*.txt"))
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "articles"
        folder.mkdir()
        for copy in range(args.copies):
            for seed in seeds:
                (folder / f"{copy:03d}_{seed.name}").write_bytes(seed.read_bytes())
        texts = [read_article(path) for path in sorted(folder.glob("*.txt"))]
        characters = sum(map(len, texts))

        started = time.perf_counter()
        result = CliRunner().invoke(
            app,
            [
                "tag",
                str(folder),
                "--model",
                str(args.model),
                "--format",
                "jsonl",
                "--out",
                f"{scratch}/out.jsonl",
                "--batch-size",
                str(args.batch_size),
            ],
        )
        end_to_end = time.perf_counter() - started
        if result.exit_code != 0:
            raise SystemExit(result.output)

        tagger = Tagger.from_pretrained(args.model, batch_size=args.batch_size)
        windows = [
            example
            for text in (normalise(raw).text for raw in texts)
            for _, example in tagger._windows([text], [tagger._encode(text)])
        ]
        started = time.perf_counter()
        with torch.inference_mode():
            for start in range(0, len(windows), args.batch_size):
                batch = pad_batch(windows[start : start + args.batch_size], tagger.vocab.pad_id, tagger.device)
                tagger.model(**batch)
        if tagger.device.type == "cuda":
            torch.cuda.synchronize()
        bare = time.perf_counter() - started

        big = Path(scratch) / "big.txt"
        raw = "".join(read_article(seed) for seed in seeds)
        size = int(args.big_mb * 1_000_000)
        big.write_text(
            (raw * (size // len(raw.encode("utf-8")) + 1)).encode("utf-8")[:size].decode("utf-8", "ignore"),
            encoding="utf-8",
        )
        baseline_rss, _, _ = peak_rss_mib(args.model, None)
        big_rss, big_chars, big_entities = peak_rss_mib(args.model, big)

    print(
        f"device: {tagger.device}; model {args.model}; {len(texts)} files, {characters} characters, {len(windows)} windows"
    )
    print(
        f"end to end (files in, JSON lines out, model load included): {characters / end_to_end:10.0f} chars/s ({end_to_end:.2f} s)"
    )
    print(
        f"bare model forward over the same windows:                  {characters / bare:10.0f} chars/s ({bare:.2f} s)"
    )
    print(f"ratio end to end / bare: {bare / end_to_end:.2f}  (goal >= 0.80)")
    print(f"peak RSS, model loaded and a 3-character text: {baseline_rss} MiB")
    print(
        f"peak RSS, {args.big_mb:g} MB article ({big_chars} characters, {big_entities} entities): {big_rss} MiB (+{big_rss - baseline_rss} MiB)"
    )


if __name__ == "__main__":
    main()
