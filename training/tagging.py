"""The job behind `xiezuo-ner tag`: any inputs → records → the local, worker or Ray engine → one writer.

`tag(...)` validates everything once, before any work: the options that go together, the model folder
(the one gate) and its ONNX export, the output. Then every record is tagged in input order and its row
(`records.output_row`) goes to the writer of the chosen format, under the one output rule
(training/writers.py). A bad record or input is reported in one line naming its file, line or row and
id, and the rest are tagged; `TagSummary.bad` counts them (the CLI then exits 1).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from training.choices import DEFAULT_BATCH_SIZE, RESUMABLE, Engine, OutputFormat, Runtime
from training.errors import XiezuoError
from training.inputs import check_output, expand_inputs, is_uri
from training.records import BadRecord, Record, id_key, output_row, read_records


@dataclass
class TagSummary:
    tagged: int = 0
    characters: int = 0
    resumed: int = 0  # records skipped because the output already held their id
    bad: int = 0
    entities: Counter = field(default_factory=Counter)


def check_options(
    out: str | None, format_: OutputFormat, engine: Engine, workers: int, resume: bool, force: bool
) -> None:
    """Options that do not go together, in one line each, before any work."""
    if workers < 1:
        raise XiezuoError(f"--workers must be 1 or more, not {workers}")
    if resume and force:
        raise XiezuoError("--resume continues --out and --force replaces it: pass one of them")
    if resume and out is None:
        raise XiezuoError("--resume needs --out: the ids already tagged are read from it")
    if resume and format_ not in RESUMABLE:
        raise XiezuoError(
            f"--resume works with --format jsonl or parquet, not {format_.value}: they are written record by record"
        )
    if format_ is OutputFormat.parquet and out is None:
        raise XiezuoError("--format parquet needs --out FOLDER (it writes a folder of part files)")
    if engine is Engine.ray and resume:
        raise XiezuoError("--resume works with --engine local; Ray writes a fresh folder per run")
    if engine is Engine.ray and (format_ not in RESUMABLE or out is None):
        raise XiezuoError("--engine ray needs --format jsonl or parquet and --out (a folder, local or remote)")
    if engine is Engine.local and out is not None and is_uri(out):
        raise XiezuoError(f"--out {out}: a URI is written by --engine ray only; name a local path")


def tag(
    inputs: list[str],
    model: Path,
    *,
    out: str | Path | None = None,
    format_: OutputFormat | str = OutputFormat.jsonl,
    engine: Engine | str = Engine.local,
    runtime: Runtime | str = Runtime.torch,
    workers: int = 1,
    batch_size: int = DEFAULT_BATCH_SIZE,
    resume: bool = False,
    force: bool = False,
    on_bad: Callable[[str], None] = lambda line: None,
    on_warning: Callable[[str], None] = lambda line: None,
    on_tagged: Callable[[], None] = lambda: None,
) -> TagSummary:
    """Tag every record of `inputs` with `model` into `out` (standard output when None) in `format_`."""
    from training.taggers import check_runtime

    format_, engine, runtime = OutputFormat(format_), Engine(engine), Runtime(runtime)
    out = str(out) if out is not None else None
    check_options(out, format_, engine, workers, resume, force)
    check_runtime(model, runtime.value)  # the model-folder gate (and the ONNX export's): one line before any work
    if engine is Engine.ray:
        from training.ray_engine import tag_with_ray

        tag_with_ray(inputs, out, format_.value, model, workers=workers, runtime=runtime.value, batch_size=batch_size)
        return TagSummary()
    if not expand_inputs(inputs):
        raise XiezuoError(f"no input files in {' '.join(inputs)}")
    if out is not None:
        check_output(Path(out), inputs, folder=format_ is OutputFormat.parquet)
    from training.shipped import model_digest
    from training.writers import Output

    run = {"written_by": "xiezuo-ner tag", "format": format_.value, "model": Path(model).name}
    output = Output(
        Path(out) if out else None, format_, run | {"model_digest": model_digest(Path(model))}, resume, force
    )
    summary = TagSummary()
    try:
        for result in _tagged(inputs, model, output.done, summary, on_warning, workers, batch_size, runtime):
            _write(result, output, summary, on_bad, on_warning)
            on_tagged()
    except BaseException as error:
        output.abandon(keep=isinstance(error, KeyboardInterrupt))
        raise
    output.finish()
    return summary


def _tagged(inputs, model, done, summary, on_warning, workers, batch_size, runtime) -> Iterator:
    """Each pending record with its tagged article (bad records as they come), in input order."""
    from training.stream import tag_stream, tag_stream_parallel

    seen: set[str] = set()

    def pending() -> Iterator[Record | BadRecord]:
        for item in read_records(inputs):
            if isinstance(item, Record):
                key = id_key(item.id)
                if key in done:
                    summary.resumed += 1
                    continue
                if key in seen:
                    on_warning(f"id {key} appears more than once; each record is tagged and written")
                seen.add(key)
            yield item

    if workers == 1:
        from training.taggers import load_tagger

        return tag_stream(load_tagger(model, runtime.value, batch_size=batch_size), pending())
    return tag_stream_parallel(model, pending(), workers, batch_size, runtime.value)


def _write(result, output, summary: TagSummary, on_bad, on_warning) -> None:
    from training.formats import RowError, row_name

    if isinstance(result, BadRecord):
        summary.bad += 1
        on_bad(str(result))
        return
    record, article = result
    row = output_row(record, article)
    try:
        output.writer.write(row, record.text)
    except RowError as error:
        summary.bad += 1
        on_bad(f"{row_name(row)}: {error}; skipped")
        return
    warning = article_warning(row_name(row), article)
    if warning:
        on_warning(warning)
    summary.tagged += 1
    summary.characters += len(record.text)
    summary.entities.update(entity.label for entity in article.entities)


def article_warning(name: str, article) -> str | None:
    """Why an article's (lack of) entities may mislead: it is blank, or the model cannot read it."""
    if not article.text.strip():
        return f"{name}: empty article; no entities"
    if article.mostly_unknown:
        return (
            f"{name}: {article.unknown_share:.0%} of its characters are unknown to the model's vocabulary; "
            "its entities are unreliable (another language, or the wrong tokenizer files?)"
        )
    return None
