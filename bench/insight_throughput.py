"""Issue 23's throughput goal: bench/corpus_throughput.py's corpus (4,000 short articles and two of
1 MB) from raw text to tables and report with `xiezuo-ner insight`, on this machine's cores:

    python bench/insight_throughput.py                 # the whole goal
    python bench/insight_throughput.py --short 300 --long 0   # a quick look

Prints the wall time of the command (model load included) and the time of the insight step alone
on the tagged output (`tag` then `insight` on its JSON lines, joined to the corpus).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT), str(PROJECT / "bench")]

from corpus_throughput import build_corpus  # noqa: E402


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", type=int, default=4000)
    parser.add_argument("--long", type=int, default=2)
    parser.add_argument("--long-mb", type=float, default=1.0)
    args = parser.parse_args()
    cli = [sys.executable, "-m", "training"]
    with tempfile.TemporaryDirectory() as scratch:
        corpus = Path(scratch) / "corpus.jsonl"
        articles, characters = build_corpus(corpus, args.short, args.long, args.long_mb)
        print(f"corpus: {articles} articles, {characters:,} characters")
        whole = timed([*cli, "insight", str(corpus), "--out", f"{scratch}/insight"])
        print(f"raw text → tables and report: {whole:.1f} s")
        tagging = timed([*cli, "tag", str(corpus), "--format", "jsonl", "--out", f"{scratch}/tagged.jsonl"])
        tagged = [*cli, "insight", f"{scratch}/tagged.jsonl", "--texts", str(corpus), "--out", f"{scratch}/again"]
        step = timed(tagged)
        print(f"tag alone: {tagging:.1f} s; insight on the tagged output: {step:.1f} s")
        sizes = {path.name: path.stat().st_size for path in sorted(Path(scratch, "insight").iterdir())}
        print("written:", ", ".join(f"{name} {size / 1024:.0f} KiB" for name, size in sizes.items()))


if __name__ == "__main__":
    main()
