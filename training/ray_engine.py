"""Tag a corpus with Ray Data: `read_json`/`read_parquet` → `map_batches` over a pool of Tagger actors →
`write_json`/`write_parquet`, on one machine or a cluster, from and to any path Ray reads (local, s3://, hdfs://).

Each actor is one `Tagger` on `threads` CPU threads; `workers` actors run at once. The model folder
travels in Ray's object store, so the nodes need no copy of it. Records are checked by the same rule
as the local engine (`records.text_problem`); a bad one is logged with its id and left out. Output rows
are those of the local engine (id, passed-through fields, length, entities), written as Ray writes:
a folder of files, in no set order. Ray is an optional extra: `pip install "xiezuo-ner[ray]"`.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import pyarrow as pa

from training.choices import DEFAULT_BATCH_SIZE
from training.errors import XiezuoError, first_line
from training.inputs import JSONL_SUFFIXES, PARQUET_SUFFIX
from training.records import BadRecord, output_row, record_from
from training.shipped import check_model_folder
from training.taggers import check_runtime

logger = logging.getLogger(__name__)
BATCH_ROWS = 256  # articles per map_batches call: enough windows to fill the Tagger's batches


class TaggerActor:
    """A Tagger kept alive across batches (the model and the lexicon load once per actor)."""

    def __init__(self, model_files: dict[str, bytes], runtime: str, batch_size: int, threads: int):
        from training.display import quiet_libraries
        from training.taggers import load_tagger

        if runtime == "torch":
            quiet_libraries()  # a weight-loading bar per actor says nothing
        self.folder = tempfile.TemporaryDirectory(prefix="xiezuo-model-")
        for name, data in model_files.items():
            (Path(self.folder.name) / name).write_bytes(data)
        self.tagger = load_tagger(Path(self.folder.name), runtime, batch_size=batch_size, device="cpu", threads=threads)

    def __call__(self, batch: pa.Table) -> pa.Table:
        from training.writers import ENTITIES_TYPE

        if "id" not in batch.column_names or "text" not in batch.column_names:
            raise XiezuoError(f"records need id and text fields; these have {', '.join(batch.column_names)}")
        records = []
        for item in batch.to_pylist():  # the local engine's rule for every record
            record = record_from(item, "record")
            if isinstance(record, BadRecord):
                logger.warning("%s; skipped", record)
            else:
                records.append(record)
        articles = self.tagger.tag_batch([record.text for record in records])
        rows = [output_row(record, article) for record, article in zip(records, articles)]
        if not rows:
            return pa.table({"id": pa.array([], batch.schema.field("id").type)})
        table = pa.Table.from_pylist([row | {"entities": None} for row in rows])
        entities = pa.array([row["entities"] for row in rows], ENTITIES_TYPE())
        return table.set_column(table.schema.get_field_index("entities"), "entities", entities)


def model_files(model: Path) -> dict[str, bytes]:
    """The files a Tagger loads (weights, config, tokenizer, ONNX), not reports or checkpoints."""
    wanted = (
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "vocab.txt",
        "special_tokens_map.json",
        "model.onnx",
        "model.int8.onnx",
    )
    check_model_folder(model)
    return {name: (model / name).read_bytes() for name in wanted if (model / name).is_file()}


def ray_input_kind(item: str) -> str:
    """jsonl, parquet or text for a file or a folder, local or remote (`s3://bucket/articles/`):
    a folder is of the kind of the files it holds, listed with pyarrow's file systems."""
    from pyarrow import fs

    name = item.rstrip("/").lower()
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(PARQUET_SUFFIX):
        return "parquet"
    try:
        filesystem, path = (
            fs.FileSystem.from_uri(item) if "://" in item else (fs.LocalFileSystem(), str(Path(item).resolve()))
        )
        infos = filesystem.get_file_info(fs.FileSelector(path, recursive=True, allow_not_found=True))
    except (OSError, ValueError, pa.ArrowException) as error:
        raise XiezuoError(f"{item}: cannot list it ({type(error).__name__}: {first_line(error)})") from None
    suffixes = {Path(info.path).suffix.lower() for info in infos if info.type == fs.FileType.File}
    if PARQUET_SUFFIX in suffixes:
        return "parquet"
    return "jsonl" if suffixes & set(JSONL_SUFFIXES) else "text"


def tag_with_ray(
    inputs: list[str],
    out: str | Path | None,
    format_: str,
    model: Path,
    *,
    workers: int = 2,
    threads: int = 1,
    runtime: str = "torch",
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> None:
    """Tag JSON lines or Parquet `inputs` into the folder `out` (jsonl or parquet) on the Ray cluster
    this process joins (`RAY_ADDRESS`, or a local instance started here)."""
    if out is None or format_ not in ("jsonl", "parquet"):
        raise XiezuoError("--engine ray needs --format jsonl or parquet and --out (a folder, local or remote)")
    out = str(out)
    check_runtime(model, runtime)  # a bad model or a stale export: one line before Ray starts
    import ray

    kinds = {ray_input_kind(item) for item in inputs}
    if kinds not in ({"jsonl"}, {"parquet"}):
        raise XiezuoError("--engine ray reads JSON lines (*.jsonl) or Parquet (*.parquet), one kind per run")
    if not ray.is_initialized():
        ray.init(logging_level=logging.WARNING)
    # Reading and writing take no CPU slot: the actors hold them all, and a read waiting for a slot
    # that no actor gives back would wait for ever. Ray's newer file listing (datasource v2) takes a
    # slot whatever `num_cpus` says, so the reads here use the classic path.
    context = ray.data.DataContext.get_current()
    if hasattr(context, "use_datasource_v2"):
        context.use_datasource_v2 = False
    dataset = (
        ray.data.read_json(inputs, lines=True, num_cpus=0)
        if kinds == {"jsonl"}
        else ray.data.read_parquet(inputs, num_cpus=0)
    )
    tagged = dataset.map_batches(
        TaggerActor,
        fn_constructor_kwargs={
            "model_files": model_files(model),
            "runtime": runtime,
            "batch_size": batch_size,
            "threads": threads,
        },
        batch_format="pyarrow",
        batch_size=BATCH_ROWS,
        concurrency=workers,
        num_cpus=threads,
    )
    try:
        if format_ == "parquet":
            tagged.write_parquet(out, ray_remote_args={"num_cpus": 0})
        else:
            tagged.write_json(out, ray_remote_args={"num_cpus": 0}, force_ascii=False)
    except (
        ray.exceptions.RayError
    ) as error:  # a file Ray's reader refuses, a node lost: one line, not a remote traceback
        cause = getattr(error, "cause", None) or error
        raise XiezuoError(f"Ray stopped: {type(cause).__name__}: {first_line(cause)}") from None
