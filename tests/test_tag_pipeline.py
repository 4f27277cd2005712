"""One pipeline behind `tag`: every input kind and every format write the same rows, under one output rule;
and the edge cases of corpus tagging (issue 25), each pinned by a test that failed on the two-pipeline code."""

from __future__ import annotations

import datetime
import decimal
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tests.articles import PROJECT, corpus_paragraphs, read_jsonl, write_jsonl
from training.cli import app
from training.errors import XiezuoError
from training.tagging import tag

SHIPPED = PROJECT / "models" / "xiezuo-small"
ARTICLE = "2021年7月,廣州市天河區向平塘縣投入幫扶資金27萬余元。"
runner = CliRunner()


def invoke(*args: str, input: str | bytes | None = None):
    return runner.invoke(app, ["tag", "--model", str(SHIPPED), *args], input=input)


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error: ")]


def jsonl(path: Path, *items: object) -> Path:
    path.write_text("".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items), encoding="utf-8")
    return path


# ---- one pipeline -------------------------------------------------------------------------------


def test_every_input_kind_and_format_writes_the_same_rows(tmp_path):
    (tmp_path / "in").mkdir()
    text_file = tmp_path / "in" / "a.txt"
    text_file.write_text(ARTICLE, encoding="utf-8")
    name = str(text_file)
    record = {"id": name, "text": ARTICLE, "source": name}
    jsonl(tmp_path / "in.jsonl", record)
    pq.write_table(pa.Table.from_pylist([record]), tmp_path / "in.parquet")
    rows = {}
    for kind, source in (
        ("text", name),
        ("jsonl", str(tmp_path / "in.jsonl")),
        ("parquet", str(tmp_path / "in.parquet")),
    ):
        result = invoke(source, "--format", "jsonl", "--out", str(tmp_path / f"{kind}.jsonl"))
        assert result.exit_code == 0, result.output
        [rows[kind]] = read_jsonl(tmp_path / f"{kind}.jsonl")
    assert invoke(name, "--format", "json", "--out", str(tmp_path / "out.json")).exit_code == 0
    [rows["json"]] = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert invoke(name, "--format", "parquet", "--out", str(tmp_path / "parquet-out")).exit_code == 0
    [rows["parquet-out"]] = pq.read_table(tmp_path / "parquet-out").to_pylist()
    stdout = invoke(name, "--format", "jsonl")
    rows["stdout"] = json.loads(stdout.stdout)
    expected = rows["text"]
    assert list(expected) == ["id", "source", "length", "entities"] and expected["source"] == name
    assert {(e["label"], e["text"]) for e in expected["entities"]} >= {("REGION", "平塘縣"), ("AMOUNT", "27萬余元")}
    for kind, row in rows.items():
        assert row == expected, kind
    assert all(ARTICLE[e["start"] : e["end"]] == e["text"] for e in expected["entities"])


def test_workers_take_text_files_and_the_pretty_format(tmp_path):
    """`tag seeds/ --workers 2` used to fail with "corpus output is jsonl or parquet, not 'pretty'"."""
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    result = invoke(str(tmp_path), "--workers", "2")
    assert result.exit_code == 0, result.output
    assert "平塘縣" in result.stdout and "REGION" in result.stdout


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--resume"], "--resume needs --out"),
        (
            ["--resume", "--format", "json", "--out", "x.json"],
            "--resume works with --format jsonl or parquet, not json",
        ),
        (["--format", "parquet"], "--format parquet needs --out FOLDER"),
        (["--engine", "ray", "--format", "pretty"], "--engine ray needs --format jsonl or parquet"),
    ],
)
def test_options_that_do_not_go_together_are_one_line_before_any_work(tmp_path, options, message):
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    result = invoke(str(tmp_path / "a.txt"), *options)
    assert result.exit_code == 1 and error_lines(result.stderr) == [f"error: {error_lines(result.stderr)[0][7:]}"]
    assert message in result.stderr and "\ntagged " not in result.stderr  # no closing line: no work was done


# ---- the output rule ----------------------------------------------------------------------------


def test_a_rerun_refuses_an_existing_output_and_force_replaces_it_at_the_end(tmp_path):
    jsonl(tmp_path / "in.jsonl", {"id": 1, "text": ARTICLE})
    out = tmp_path / "out.jsonl"
    out.write_text("2,500 lines of an earlier run\n", encoding="utf-8")
    refused = invoke(str(tmp_path / "in.jsonl"), "--format", "jsonl", "--out", str(out))
    assert refused.exit_code == 1 and "exists; pass --resume to continue it, --force to replace it" in refused.stderr
    assert out.read_text(encoding="utf-8") == "2,500 lines of an earlier run\n"  # was emptied at once
    replaced = invoke(str(tmp_path / "in.jsonl"), "--format", "jsonl", "--out", str(out), "--force")
    assert replaced.exit_code == 0 and [row["id"] for row in read_jsonl(out)] == [1]


def test_resume_refuses_a_file_it_did_not_write_and_leaves_it_whole(tmp_path):
    jsonl(tmp_path / "in.jsonl", {"id": "a", "text": ARTICLE})
    out = tmp_path / "out.jsonl"
    out.write_text('{"name": "important"}', encoding="utf-8")  # one line, no newline: was cut off
    result = invoke(str(tmp_path / "in.jsonl"), "--format", "jsonl", "--out", str(out), "--resume")
    assert result.exit_code == 1 and f"--out {out}: no record of the run that wrote it" in result.stderr
    assert out.read_text(encoding="utf-8") == '{"name": "important"}'


def test_resume_refuses_an_output_of_another_model_and_continues_its_own(tmp_path):
    jsonl(tmp_path / "in.jsonl", {"id": "a", "text": ARTICLE})
    out = tmp_path / "out.jsonl"
    assert invoke(str(tmp_path / "in.jsonl"), "--format", "jsonl", "--out", str(out)).exit_code == 0
    jsonl(tmp_path / "in.jsonl", {"id": "a", "text": ARTICLE}, {"id": "b", "text": "平塘县人民医院"})
    other = tmp_path / "other-model"
    shutil.copytree(SHIPPED, other)
    config = json.loads((other / "config.json").read_text(encoding="utf-8"))
    (other / "config.json").write_text(json.dumps(config | {"note": "retrained"}), encoding="utf-8")
    mixed = runner.invoke(
        app,
        ["tag", "--model", str(other), str(tmp_path / "in.jsonl"), "--format", "jsonl", "--out", str(out), "--resume"],
    )
    assert mixed.exit_code == 1 and "written with another model" in mixed.stderr
    own = invoke(str(tmp_path / "in.jsonl"), "--format", "jsonl", "--out", str(out), "--resume")
    assert own.exit_code == 0 and "1 already in" in own.stderr
    assert [row["id"] for row in read_jsonl(out)] == ["a", "b"]


def test_a_symlinked_output_keeps_its_link_and_a_fifo_is_written_through(tmp_path):
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    target = tmp_path / "real.jsonl"
    (tmp_path / "link.jsonl").symlink_to(target)
    result = invoke(str(tmp_path / "a.txt"), "--format", "jsonl", "--out", str(tmp_path / "link.jsonl"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "link.jsonl").is_symlink() and read_jsonl(target)[0]["length"] == len(ARTICLE)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = invoke(str(tmp_path / "a.txt"), "--format", "jsonl", "--out", str(fifo))
    reader.join(timeout=60)
    assert result.exit_code == 0 and fifo.is_fifo()  # not replaced by a regular file
    assert json.loads(received[0])["length"] == len(ARTICLE)


def test_output_inside_an_input_folder_is_refused(tmp_path):
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    result = invoke(str(tmp_path), "--format", "jsonl", "--out", str(tmp_path / "tags.txt"))
    assert result.exit_code == 1 and "is inside the input folder" in result.stderr
    assert not (tmp_path / "tags.txt").exists()


# ---- one bad record or input is named and skipped; values kept as they are ----------------------


def test_ids_keep_their_json_type_and_duplicates_are_warned_about(tmp_path):
    source = jsonl(
        tmp_path / "in.jsonl",
        {"id": 7, "text": ARTICLE},
        {"id": "7", "text": ARTICLE},
        {"id": [1], "text": ARTICLE},
        {"id": 7, "text": "平塘县"},
    )
    out = tmp_path / "out.jsonl"
    result = invoke(str(source), "--format", "jsonl", "--out", str(out))
    assert result.exit_code == 1
    assert error_lines(result.stderr) == [f"error: {source}: line 3: id is a list; an id is a string or an integer"]
    assert "warning: id 7 appears more than once" in result.stderr
    assert [row["id"] for row in read_jsonl(out)] == [7, "7", 7]


def test_values_json_cannot_hold_are_bad_records_and_the_rest_are_tagged(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_bytes(
        "\ufeff".encode()  # a BOM before the first record
        + b'{"id": "first", "text": "\xe5\xb9\xb3\xe5\xa1\x98\xe5\x8e\xbf"}\n'
        + b'{"id": "nan", "text": "x", "score": NaN}\n'
        + b'{"id": "len", "text": "x", "length": 3}\n'
        + b'{"id": "deep", "text": "x", "f": '
        + b"[" * 100_000
        + b"]" * 100_000
        + b"}\n"
        + b'{"id": "sur\\udcff", "text": "\\udcff\xe5\xb9\xb3\xe5\xa1\x98\xe5\x8e\xbf", "f": "\\ud800"}\n'
    )
    out = tmp_path / "out.jsonl"
    result = invoke(str(source), "--format", "jsonl", "--out", str(out))
    assert result.exit_code == 1 and "unexpected" not in result.stderr
    assert error_lines(result.stderr) == [
        f"error: {source}: line 2: invalid JSON: NaN is not JSON",
        f"error: {source}: line 3 (id len): has a field named length, which the output writes; rename it",
        f"error: {source}: line 4: invalid JSON: nested too deep",
    ]
    rows = read_jsonl(out)
    assert [row["id"] for row in rows] == ["first", "sur\udcff"] and rows[1]["f"] == "\ud800"
    assert "NaN" not in out.read_text(encoding="utf-8")


def test_parquet_timestamps_dates_decimals_and_binary_go_to_json_lines(tmp_path):
    table = pa.table(
        {
            "id": ["a"],
            "text": [ARTICLE],
            "at": pa.array([datetime.datetime(2021, 7, 1, 8, 30)], pa.timestamp("us")),
            "day": pa.array([datetime.date(2021, 7, 1)], pa.date32()),
            "amount": pa.array([decimal.Decimal("27.50")], pa.decimal128(6, 2)),
            "raw": pa.array([b"\xff\x00"], pa.binary()),
        }
    )
    pq.write_table(table, tmp_path / "in.parquet")
    out = tmp_path / "out.jsonl"
    result = invoke(str(tmp_path / "in.parquet"), "--format", "jsonl", "--out", str(out))
    assert result.exit_code == 0, result.output
    [row] = read_jsonl(out)
    assert (row["at"], row["day"], row["amount"], row["raw"]) == ("2021-07-01T08:30:00", "2021-07-01", "27.50", "/wA=")


def test_a_missing_or_corrupt_input_among_several_is_named_and_the_rest_tagged(tmp_path):
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    good = jsonl(tmp_path / "good.jsonl", {"id": "g", "text": ARTICLE})
    out = tmp_path / "out.jsonl"
    missing = tmp_path / "missing.jsonl"
    result = invoke(str(tmp_path / "bad.parquet"), str(missing), str(good), "--format", "jsonl", "--out", str(out))
    assert result.exit_code == 1
    [corrupt, absent] = error_lines(result.stderr)
    assert corrupt.startswith(f"error: {tmp_path / 'bad.parquet'}: not a readable Parquet file")
    assert absent == f"error: {missing}: no such file"
    assert [row["id"] for row in read_jsonl(out)] == ["g"]


def test_a_file_name_that_is_not_utf8_is_tagged_and_named(tmp_path):
    name = os.fsdecode(os.fsencode(str(tmp_path)) + b"/\xb9\xe3\xd6\xdd.txt")  # 广州 in GBK
    Path(name).write_text(ARTICLE, encoding="utf-8")
    for format_ in ("jsonl", "json", "conll", "html", "label-studio", "pretty"):
        result = invoke(name, "--format", format_, "--out", str(tmp_path / f"out.{format_}"))
        assert result.exit_code == 0 and "unexpected" not in result.stderr, (format_, result.stderr)
    [row] = read_jsonl(tmp_path / "out.jsonl")
    assert row["source"].endswith("\udcb9\udce3\udcd6\udcdd.txt")


def test_a_password_in_a_uri_is_never_echoed():
    from training.display import one_line

    assert one_line("s3://user:secret@bucket/x: cannot list it") == "s3://user:***@bucket/x: cannot list it"


# ---- gates --------------------------------------------------------------------------------------


def test_evaluate_passes_the_model_gate_and_names_a_missing_data_file(tmp_path):
    missing_model = runner.invoke(app, ["evaluate", "--model", str(tmp_path / "missing")])
    assert missing_model.exit_code == 1
    assert error_lines(missing_model.stderr) == [
        f"error: {tmp_path / 'missing'}: not a model folder (no config.json); train one with `xiezuo-ner train`"
    ]
    missing_data = runner.invoke(app, ["evaluate", "--model", str(SHIPPED), "--data", str(tmp_path / "gold.json")])
    assert missing_data.exit_code == 1
    assert error_lines(missing_data.stderr) == [f"error: --data {tmp_path / 'gold.json'}: no such file"]


def test_library_tag_refuses_a_missing_model_before_writing(tmp_path):
    jsonl(tmp_path / "in.jsonl", {"id": "a", "text": ARTICLE})
    with pytest.raises(XiezuoError, match="not a model folder"):
        tag([str(tmp_path / "in.jsonl")], tmp_path / "none", out=tmp_path / "out.jsonl")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in.jsonl"]


# ---- workers die with their parent --------------------------------------------------------------


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def threads(pid: int) -> int:
    try:
        status = (Path("/proc") / str(pid) / "status").read_text()
    except OSError:
        return 0
    return int(status.split("Threads:")[1].split()[0])


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_workers_end_when_their_parent_is_killed(tmp_path, how):
    write_jsonl(tmp_path / "in.jsonl", corpus_paragraphs(400) * 20)
    command = [sys.executable, "-m", "training", "tag", str(tmp_path / "in.jsonl"), "--model", str(SHIPPED)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(PROJECT)}
    parent = subprocess.Popen(
        [*command, "--format", "jsonl", "--out", str(tmp_path / "out.jsonl"), "--workers", "2", "--batch-size", "8"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300  # a loaded machine spawns slowly
    workers: list[int] = []
    while time.monotonic() < deadline and len(workers) < 2:  # both workers started, each watching its parent
        time.sleep(0.2)
        workers = [pid for pid in children(parent.pid) if threads(pid) >= 2]
    assert len(workers) >= 2
    os.kill(parent.pid, how)
    parent.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(map(alive, workers)):
        time.sleep(0.2)
    left = [pid for pid in workers if alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == []
