"""An evaluation report as files: report.json, report.md and a self-contained report.html; a comparison table."""

from __future__ import annotations

import json
from pathlib import Path

from training.categories import CATEGORIES
from training.errors import XiezuoError
from training.files import atomic_write_text
from training.labels import label_colours
from training.render import marked_segments, render


def write_report(report: dict, folder: Path) -> list[Path]:
    """report.json, report.md and a self-contained report.html in `folder`, each written whole or not at all."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "report.json", folder / "report.md", folder / "report.html"]
    atomic_write_text(paths[0], json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    atomic_write_text(paths[1], report_markdown(report))
    atomic_write_text(paths[2], report_html(report))
    return paths


def read_reports(runs: list[Path]) -> dict[str, dict]:
    """report.json of each run, given as the file, a report folder, or a model folder (its test report)."""
    reports = {}
    for run in runs:
        candidates = [run] if run.suffix == ".json" else [run / "report.json", run / "test-report" / "report.json"]
        path = next((candidate for candidate in candidates if candidate.is_file()), None)
        if path is None:
            raise XiezuoError(f"{run}: no report.json (run `xiezuo-ner evaluate` or `cv` first)")
        try:
            reports[str(run)] = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise XiezuoError(f"{path}: not a report ({type(error).__name__})") from None
    return reports


def score_rows(report: dict) -> list[tuple[str, dict, dict]]:
    """(label, model scores, rules scores) for each label, then micro and macro."""
    model, rules = report["systems"]["model"], report["systems"]["rules"]
    rows = [(label, model["per_label"][label], rules["per_label"][label]) for label in report["labels"]]
    return rows + [(average, model[average], rules[average]) for average in ("micro", "macro")]


def _score_table(report: dict) -> list[str]:
    lines = ["| label | support | model P | model R | model F1 | rules F1 |", "|---|---|---|---|---|---|"]
    for label, m, r in score_rows(report):
        lines.append(
            f"| {label} | {m['support']} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {r['f1']:.3f} |"
        )
    return lines


def report_markdown(report: dict) -> str:
    lines = [f"# Evaluation of `{report['model']}`", "", f"Documents: {', '.join(report['documents'])}", ""]
    if "folds" in report:
        lines += [
            "## Cross-validation",
            "",
            "| fold | test documents | model micro F1 | rules micro F1 |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {f['fold']} | {', '.join(f['test'])} | {f['model_micro_f1']:.3f} | {f['rules_micro_f1']:.3f} |"
            for f in report["folds"]
        ]
        lines += ["", "Mean ± standard deviation of per-fold F1:", "", "| label | model | rules |", "|---|---|---|"]
        for label, values in report["fold_summary"].items():
            lines.append(
                f"| {label} | {values['model_mean']:.3f} ± {values['model_std']:.3f} | {values['rules_mean']:.3f} ± {values['rules_std']:.3f} |"
            )
        lines += ["", "## Pooled over all folds", ""]
    lines += ["Entity level, seqeval strict IOB2.", "", *_score_table(report), "", "## Error breakdown (model)", ""]
    lines += ["| label | " + " | ".join(CATEGORIES) + " |", "|---" * (len(CATEGORIES) + 1) + "|"]
    for label, counts in report["systems"]["model"]["breakdown"].items():
        lines.append(f"| {label} | " + " | ".join(str(counts[c]) for c in CATEGORIES) + " |")
    lines += [
        "",
        "## Errors (model)",
        "",
        "| document | category | gold | predicted | context |",
        "|---|---|---|---|---|",
    ]
    for error in report["errors"]:
        gold = f"{error['gold']['text']} ({error['gold']['label']})" if error["gold"] else ""
        predicted = f"{error['predicted']['text']} ({error['predicted']['label']})" if error["predicted"] else ""
        context = error["context"].replace("\n", " ").replace("|", "\\|")
        lines.append(f"| {error['doc_id']} | {error['category']} | {gold} | {predicted} | {context} |")
    return "\n".join(lines) + "\n"


def compare_table(reports: dict[str, dict]) -> list[list[str]]:
    """Rows of per-label F1 (and micro) across named reports, model figures."""
    labels = list(dict.fromkeys(label for report in reports.values() for label in report["labels"]))
    rows = [["run", *labels, "micro"]]
    for name, report in reports.items():
        model = report["systems"]["model"]
        cells = [f"{model['per_label'][label]['f1']:.3f}" if label in model["per_label"] else "-" for label in labels]
        rows.append([name, *cells, f"{model['micro']['f1']:.3f}"])
    return rows


def _exact_in(other: list[dict]):
    """Status of a span: "ok" when `other` has it exactly, "error" otherwise."""
    keys = {(span["start"], span["end"], span["label"]) for span in other}
    return lambda span: "ok" if (span["start"], span["end"], span["label"]) in keys else "error"


def _labels_shown(report: dict) -> list[str]:
    """The report's labels, then any other label a gold or predicted span carries (a model can predict
    a label the scored set lacks): every mark on the page needs a colour."""
    spans = [span for item in report["predictions"].values() for span in (*item["gold"], *item["model"])]
    return list(dict.fromkeys([*report["labels"], *(span["label"] for span in spans)]))


def report_html(report: dict) -> str:
    """One self-contained page: scores, an F1 bar chart, confusion table, and gold vs model per document."""
    model, rules = report["systems"]["model"], report["systems"]["rules"]
    chart = []
    for index, label in enumerate((*report["labels"], "micro")):
        bars = [
            {
                "y": 10 + index * 34 + offset * 14,
                "colour": colour,
                "f1": system[label]["f1"] if label == "micro" else system["per_label"][label]["f1"],
            }
            for offset, (system, colour) in enumerate(((model, "#1565c0"), (rules, "#9e9e9e")))
        ]
        chart.append({"label": label, "y": 10 + index * 34 + 18, "bars": bars})
    documents = [
        {
            "doc_id": doc_id,
            "gold": marked_segments(item["text"], item["gold"], _exact_in(item["model"])),
            "model": marked_segments(item["text"], item["model"], _exact_in(item["gold"])),
        }
        for doc_id, item in report["predictions"].items()
    ]
    return render(
        "report.html",
        report=report,
        colours=label_colours(_labels_shown(report)),
        rows=score_rows(report),
        chart=chart,
        confusion=model["confusion"],
        predicted_labels=sorted({predicted for row in model["confusion"].values() for predicted in row}),
        documents=documents,
    )
