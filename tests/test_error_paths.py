"""Hostile input on the error paths (issue 16): every failure is one line naming what and where,
no secret reaches any output, no input is destroyed, and the good inputs are still processed."""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from training.annotations import check_document, load_tasks
from training.cli import app
from training.config import config_from_dict, load_config
from training.errors import XiezuoError
from training.infer import Tagger
from training.train import StopAfterStep, partial_dir, train

from .conftest import PROJECT, tiny_config_dict

runner = CliRunner()
SEED = PROJECT / "seeds" / "000_7a95b9ea3265a927.txt"


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error: ")]


# 1. The API key never appears, whatever the server answers.


class EchoThenFail(BaseHTTPRequestHandler):
    """Answers the first request like Label Studio, then fails with the request's headers in its body."""

    calls = 0

    def do_GET(self):
        type(self).calls += 1
        if type(self).calls == 1:
            body, status = json.dumps({"count": 0, "next": None, "previous": None, "results": []}).encode(), 200
        else:
            body, status = f"internal error; your request was:\n{self.headers}".encode(), 500
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if status == 200 else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args):  # keep the test output quiet
        pass


@pytest.fixture
def echo_server(monkeypatch):
    EchoThenFail.calls = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoThenFail)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    key = "secret-key-0123456789abcdef"
    monkeypatch.setenv("LABEL_STUDIO_URL", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", key)
    yield key
    server.shutdown()


@pytest.mark.parametrize("command", [["ls", "push", str(SEED)], ["ls", "pull", "--dir", "{tmp}/annotations"]])
def test_label_studio_failure_after_connecting_never_shows_the_api_key(echo_server, command, tmp_path, caplog):
    result = runner.invoke(app, [part.format(tmp=tmp_path) for part in command])
    assert result.exit_code == 1
    assert EchoThenFail.calls >= 2  # the server did echo the key back
    everything = result.stdout + result.stderr + caplog.text
    assert echo_server not in everything
    assert error_lines(result.stderr) == [
        f"error: Label Studio answered HTTP 500 during {command[1]}; see the server's log"
    ]


class ImportsNothing(BaseHTTPRequestHandler):
    """A server with one empty project that answers every import with "0 tasks imported"."""

    def do_GET(self):
        if self.path.startswith("/api/tasks"):
            self.answer({"tasks": [], "total": 0, "total_annotations": 0, "total_predictions": 0})
        else:
            self.answer({"count": 1, "next": None, "previous": None, "results": [{"id": 1, "title": "xiezuo-ner"}]})

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.answer({"task_count": 0, "annotation_count": 0, "prediction_count": 0, "duration": 0.1})

    def answer(self, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(201 if self.command == "POST" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_push_checks_the_servers_count_of_imported_tasks(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), ImportsNothing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("LABEL_STUDIO_URL", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "key-0123456789")
    try:
        result = runner.invoke(app, ["ls", "push", str(SEED)])
    finally:
        server.shutdown()
    assert result.exit_code == 1
    assert error_lines(result.stderr) == [
        "error: Label Studio reported 0 task(s) imported of 1 sent; check project 'xiezuo-ner'"
    ]


# 2. A model folder without its tokenizer files is refused; unreadable articles are flagged.


@pytest.mark.parametrize(
    "removed", [("vocab.txt", "tokenizer.json"), ("vocab.txt", "tokenizer.json", "tokenizer_config.json")]
)
def test_model_folder_without_tokenizer_files_is_refused(tiny_model, tmp_path, removed):
    broken = tmp_path / "model"
    shutil.copytree(tiny_model, broken)
    for name in removed:
        (broken / name).unlink(missing_ok=True)
    result = runner.invoke(app, ["tag", "--model", str(broken), str(SEED)])
    assert result.exit_code == 1
    assert error_lines(result.stderr) == [
        f"error: {broken}: no tokenizer files (vocab.txt or tokenizer.json); copy the whole model folder"
    ]


def test_article_the_vocabulary_cannot_read_gets_a_warning(tiny_model, tmp_path):
    article = tmp_path / "greek.txt"
    article.write_text("Η Αθήνα και η Θεσσαλονίκη υπέγραψαν συμφωνία συνεργασίας.", encoding="utf-8")
    result = runner.invoke(app, ["tag", "--model", str(tiny_model), str(article), str(SEED), "--format", "jsonl"])
    assert result.exit_code == 0
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert (
        len(warnings) == 1
        and warnings[0].startswith(f"warning: {article}: ")
        and "unknown to the model's vocabulary" in warnings[0]
    )
    assert Tagger.from_pretrained(tiny_model)(SEED.read_text(encoding="utf-8")).mostly_unknown is False


# 3. Standard input is read as UTF-8 bytes with the checks files get.


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("平塘县".encode("gbk"), "error: <stdin>: not UTF-8 (byte 2: b'\\xcc')"),
        ("平塘\x00县".encode(), "error: <stdin>: looks binary (NUL at character 2)"),
    ],
)
def test_stdin_bytes_get_the_file_checks(tiny_model, data, expected):
    result = runner.invoke(app, ["tag", "--model", str(tiny_model), "-", "--format", "jsonl"], input=data)
    assert result.exit_code == 1 and result.stdout == ""
    assert error_lines(result.stderr) == [expected]


def test_stdin_utf8_is_decoded_as_utf8_whatever_the_locale(tiny_model, monkeypatch):
    monkeypatch.setenv("LC_ALL", "C")
    text = "2021年7月,广州市白云区向平塘县投入帮扶资金27万余元。"
    result = runner.invoke(
        app, ["tag", "--model", str(tiny_model), "-", "--format", "jsonl"], input=text.encode("utf-8")
    )
    assert result.exit_code == 0
    [line] = [json.loads(line) for line in result.stdout.splitlines()]
    assert line["length"] == len(text) and all(text[e["start"] : e["end"]] == e["text"] for e in line["entities"])


# 4. An input is never the output; an output is complete or absent.


def test_output_that_is_an_input_is_refused_and_the_article_kept(tiny_model, tmp_path):
    article = tmp_path / "a.txt"
    shutil.copy(SEED, article)
    for out in (article, tmp_path / "." / "a.txt"):
        result = runner.invoke(app, ["tag", "--model", str(tiny_model), str(article), "--out", str(out)])
        assert result.exit_code == 1 and "is also an input" in result.stderr
    assert article.read_bytes() == SEED.read_bytes()


def test_failed_run_leaves_the_previous_output_untouched(tiny_model, tmp_path, monkeypatch):
    """A run that breaks halfway (here: the second article) must not truncate what --out held."""
    for name in ("a.txt", "b.txt"):
        shutil.copy(SEED, tmp_path / name)
    out = tmp_path / "tags.jsonl"
    out.write_text("previous run\n", encoding="utf-8")
    from training import formats, writers

    calls, dump_json = [], formats.dump_json

    def failing_write(row, indent=None):  # the first article is written, the second write fails
        calls.extend([row] if "entities" in row else [])  # rows, not the record of the run
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return dump_json(row, indent)

    monkeypatch.setattr(writers, "dump_json", failing_write)
    result = runner.invoke(
        app,
        [
            "tag",
            "--model",
            str(tiny_model),
            str(tmp_path / "a.txt"),
            str(tmp_path / "b.txt"),
            "--format",
            "jsonl",
            "--out",
            str(out),
            "--force",  # a file tag did not write is replaced only when asked, and only at the end
        ],
    )
    assert result.exit_code == 1 and "unexpected RuntimeError: disk on fire" in result.stderr
    assert out.read_text(encoding="utf-8") == "previous run\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "a.txt",
        "b.txt",
        "tags.jsonl",
    ]  # no temporary file left


# 5. A missing input does not stop the batch.


def test_missing_file_folder_named_txt_and_stdin_among_files(tiny_model, tmp_path):
    shutil.copy(SEED, tmp_path / "good.txt")
    (tmp_path / "folder.txt").mkdir()
    (tmp_path / "folder.txt" / "inner.txt").write_text("平塘县", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    args = [
        "tag",
        "--model",
        str(tiny_model),
        str(tmp_path / "missing.txt"),
        str(tmp_path / "good.txt"),
        "-",
        "--format",
        "jsonl",
        "--out",
        str(out),
    ]
    result = runner.invoke(app, args, input="广州市白云区".encode())
    assert result.exit_code == 1
    assert error_lines(result.stderr) == [f"error: {tmp_path / 'missing.txt'}: no such file"]
    assert [json.loads(line)["source"] for line in out.read_text(encoding="utf-8").splitlines()] == [
        str(tmp_path / "good.txt"),
        "<stdin>",
    ]
    result = runner.invoke(app, ["tag", "--model", str(tiny_model), str(tmp_path / "folder.txt"), "--format", "jsonl"])
    assert result.exit_code == 0 and json.loads(result.stdout)["source"].endswith("inner.txt")  # a folder is searched


def test_output_into_a_missing_folder_is_one_line_before_any_work(tiny_model, tmp_path):
    result = runner.invoke(
        app, ["tag", "--model", str(tiny_model), str(SEED), "--out", str(tmp_path / "no" / "out.json")]
    )
    assert result.exit_code == 1
    assert error_lines(result.stderr) == [
        f"error: --out {tmp_path / 'no' / 'out.json'}: folder {tmp_path / 'no'} does not exist"
    ]


# 6 and 9. User text is shown as text: no markup, no terminal control.


def test_brackets_in_file_names_are_shown_as_they_are(tiny_model, tmp_path):
    bad = tmp_path / "report[v2][bold].txt"
    bad.write_bytes("平塘县".encode("gbk"))
    result = runner.invoke(app, ["tag", "--model", str(tiny_model), str(bad)])
    assert result.exit_code == 1
    assert error_lines(result.stderr) == [f"error: {bad}: not UTF-8 (byte 2: b'\\xcc')"]


def test_markup_in_annotations_is_reported_not_interpreted(project_copy):
    path = project_copy / "annotations" / "000_7a95b9ea3265a927.json"
    task = json.loads(path.read_text(encoding="utf-8"))
    task["annotations"][0]["result"][0]["value"]["labels"] = ["[/b]"]
    path.write_text(json.dumps(task, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(app, ["annotations", "check", "--dir", str(project_copy / "annotations")])
    assert result.exit_code == 1
    [line] = error_lines(result.stderr)
    assert "unknown label '[/b]'" in line


def test_escape_sequences_in_an_article_never_reach_the_terminal(tiny_model, tmp_path):
    article = tmp_path / "esc.txt"
    article.write_text("卢健\x1b[2J\x1b]0;owned\x07从天河区教育局获悉\u202e,平塘县", encoding="utf-8")
    result = runner.invoke(app, ["tag", "--model", str(tiny_model), str(article)])
    assert result.exit_code == 0
    for control in ("\x1b", "\x07", "\u202e"):
        assert control not in result.stdout
    assert "\ufffd[2J" in result.stdout and "卢健" in result.stdout


# 7. Broken models and configs are one line.


def test_corrupted_weights_and_bad_config_json_are_one_line(tiny_model, tmp_path):
    corrupted = tmp_path / "corrupted"
    shutil.copytree(tiny_model, corrupted)
    (corrupted / "model.safetensors").write_bytes((tiny_model / "model.safetensors").read_bytes()[:1000])
    bad_config = tmp_path / "bad-config"
    shutil.copytree(tiny_model, bad_config)
    (bad_config / "config.json").write_text("{not json", encoding="utf-8")
    no_weights = tmp_path / "no-weights"
    shutil.copytree(tiny_model, no_weights)
    (no_weights / "model.safetensors").unlink()
    for folder in (corrupted, bad_config, no_weights):
        result = runner.invoke(app, ["tag", "--model", str(folder), str(SEED)])
        assert result.exit_code == 1, folder
        [line] = error_lines(result.stderr)
        assert line.startswith(f"error: {folder}: cannot load the model (")


@pytest.mark.parametrize(
    ("content", "override", "expected"),
    [
        (b"run_name: x\nrun_name: y\n", None, "invalid YAML at line 2 column 1: key 'run_name' appears twice"),
        ("run_name: 平塘\n".encode("gbk"), None, "not UTF-8 (byte 12)"),
        (None, "training.epochs=[1", "--set training.epochs=[1: invalid YAML"),
        (None, "training.epochs=.inf", "training.epochs: Input should be a finite number"),
        (None, "training.learning_rate=.nan", "training.learning_rate: Input should be a finite number"),
    ],
)
def test_broken_config_is_one_line(tmp_path, synthetic_annotations, content, override, expected):
    path = tmp_path / "config.yaml"
    if content is None:
        path.write_text(yaml.safe_dump(tiny_config_dict(synthetic_annotations, tmp_path)), encoding="utf-8")
    else:
        path.write_bytes(content)
    result = runner.invoke(app, ["train", "--config", str(path)] + (["--set", override] if override else []))
    assert result.exit_code == 1
    [line] = error_lines(result.stderr)
    assert expected in line


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        ({"data": {"text": "平塘县"}, "annotations": {"result": []}}, "annotations must be a list of objects"),
        ({"data": {"text": "平塘县"}, "annotations": [{"result": "none"}]}, "result must be a list of objects"),
        (
            {"data": {"text": "平塘县"}, "annotations": [{"result": [{"type": "labels", "value": None}]}]},
            "result item 0: needs integer start/end",
        ),
        ({"data": {"text": "平塘县", "source": 3}}, "data.source must be a path string"),
    ],
)
def test_tasks_of_the_wrong_shape_are_one_line(tmp_path, task, expected):
    path = tmp_path / "task.json"
    path.write_text(json.dumps(task, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(XiezuoError, match=expected):
        load_tasks(path)


# 12. Offsets are integers.


@pytest.mark.parametrize("offset", [0.9, "0", True])
def test_offsets_that_are_not_integers_are_refused(tmp_path, offset):
    task = {
        "data": {"text": "平塘县"},
        "annotations": [
            {
                "result": [
                    {"type": "labels", "value": {"start": offset, "end": 3, "text": "平塘县", "labels": ["REGION"]}}
                ]
            }
        ],
    }
    path = tmp_path / "task.json"
    path.write_text(json.dumps(task, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(
        XiezuoError, match=f"task.json: result item 0: needs integer start/end.*offset {offset!r} is not an integer"
    ):
        load_tasks(path)


def test_batch_size_zero_is_refused(tiny_model):
    result = runner.invoke(app, ["tag", "--model", str(tiny_model), "--batch-size", "0", str(SEED)])
    assert result.exit_code == 2 and "--batch-size" in result.output
    with pytest.raises(XiezuoError, match="batch size must be at least 1"):
        Tagger.from_pretrained(tiny_model, batch_size=0)


# 11 and 13. Resume refuses a changed run; a failed run leaves no empty folder.


def test_resume_refuses_a_changed_config_naming_the_keys(synthetic_annotations, tmp_path):
    settings = {"epochs": 4, "eval_steps": 5}
    config = config_from_dict(tiny_config_dict(synthetic_annotations, tmp_path, **settings), "b")
    with pytest.raises(KeyboardInterrupt):
        train(config, callbacks=[StopAfterStep(5)], progress=False)
    changed = config_from_dict(
        tiny_config_dict(synthetic_annotations, tmp_path, **(settings | {"epochs": 6, "learning_rate": 1e-3})), "c"
    )
    with pytest.raises(
        XiezuoError,
        match=r"config changed since the run started: training.epochs \(4.0 → 6.0\), training.learning_rate \(0.003 → 0.001\)",
    ):
        train(changed, resume=True, progress=False)
    assert partial_dir(config).is_dir()  # still resumable with the original config


def test_resume_refuses_changed_annotations(synthetic_annotations, tmp_path):
    annotations = tmp_path / "annotations"
    shutil.copytree(synthetic_annotations, annotations)
    config = config_from_dict(tiny_config_dict(annotations, tmp_path, epochs=4, eval_steps=5), "b")
    with pytest.raises(KeyboardInterrupt):
        train(config, callbacks=[StopAfterStep(5)], progress=False)
    task = json.loads((annotations / "doc0.json").read_text(encoding="utf-8"))
    task["data"]["text"] = "藏" + task["data"]["text"][1:]  # a new character: the vocabulary would change
    (annotations / "doc0.json").write_text(json.dumps(task, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(XiezuoError, match="annotations changed since the run started"):
        train(config, resume=True, progress=False)


def test_run_failing_before_its_first_checkpoint_leaves_no_partial_folder(synthetic_annotations, tmp_path):
    config = config_from_dict(tiny_config_dict(synthetic_annotations, tmp_path, epochs=4, eval_steps=5), "b")

    class FailAtStart(StopAfterStep):
        def on_train_begin(self, args, state, control, **kwargs):
            raise RuntimeError("out of memory")

    with pytest.raises(RuntimeError):
        train(config, callbacks=[FailAtStart(1)], progress=False)
    assert not partial_dir(config).exists() and not (config.output_dir / config.run_name).exists()


def test_task_source_outside_the_project_is_not_read(project_copy):
    [document] = load_tasks(project_copy / "annotations" / "000_7a95b9ea3265a927.json")
    document.source = "../../etc/passwd"
    [problem] = check_document(document, project_root=project_copy)
    assert "points outside the project" in problem


# 14. Blank articles: no entities, a warning, exit 0, everywhere.


def test_blank_article_has_no_entities_from_file_stdin_and_api(tiny_model, tmp_path):
    blank = tmp_path / "blank.txt"
    blank.write_text(" \n\u3000", encoding="utf-8")
    from_file = runner.invoke(app, ["tag", "--model", str(tiny_model), str(blank), "--format", "jsonl"])
    from_stdin = runner.invoke(
        app, ["tag", "--model", str(tiny_model), "-", "--format", "jsonl"], input=" \n\u3000".encode()
    )
    for result, name in ((from_file, str(blank)), (from_stdin, "<stdin>")):
        assert result.exit_code == 0
        assert json.loads(result.stdout)["entities"] == []
        assert f"warning: {name}: empty article; no entities" in result.stderr
    assert Tagger.from_pretrained(tiny_model)(" \n\u3000").entities == []


def test_shipped_configs_pass_the_unique_key_loader():
    from training.pretrain import load_pretrain_config

    for path in (PROJECT / "configs").glob("*.yaml"):
        (load_pretrain_config if path.name.startswith("pretrain") else load_config)(path)


# The whole command under generated file names and contents.

NAME_CHARS = st.sampled_from(list("ab平塘[]{}()*?! -_.'\"$;&|<>\\~#%\t\x1b\u202e😀") + ["[bold]", "[/]"[0:1] + "b]"])
GOOD_TEXT = st.lists(
    st.sampled_from(
        list("广州市白云区向平塘县投入资金万元年月日卢健,。()\n\r\t \x1b\x07\u202e😀")
        + ["(guǎng zhōu)", "1033.98万元", "2021年7月"]
    ),
    max_size=40,
).map("".join)
BAD_BYTES = st.sampled_from([b"\xff", b"\xc3(", b"\x00", "平塘县".encode("gbk")])


@st.composite
def articles(draw) -> list[tuple[str, bytes, bool]]:
    """(file name, content, is it bad) for one to four files with distinct names."""
    names = draw(
        st.lists(st.lists(NAME_CHARS, min_size=1, max_size=8).map("".join), min_size=1, max_size=4, unique=True)
    )
    files = []
    for index, name in enumerate(names):
        name = f"{index}{name}"  # never `.` or `..`, never an option
        if draw(st.booleans()):
            files.append((name, draw(GOOD_TEXT).encode("utf-8"), False))
        else:
            good = draw(GOOD_TEXT).encode("utf-8")
            cut = draw(st.integers(0, len(good)))
            files.append((name, good[:cut] + draw(BAD_BYTES) + good[cut:], True))
    return files


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=articles())
def test_tag_command_over_generated_files(tiny_model, tmp_path_factory, files):
    from training.display import one_line

    folder = tmp_path_factory.mktemp("generated")
    paths = []
    for name, content, _ in files:
        (folder / name).write_bytes(content)
        paths.append(folder / name)
    out = folder / "0out.jsonl"
    result = runner.invoke(
        app, ["tag", "--model", str(tiny_model), *map(str, paths), "--format", "jsonl", "--out", str(out)]
    )

    bad = [path for path, (_, _, is_bad) in zip(paths, files) if is_bad]
    good = [path for path, (_, _, is_bad) in zip(paths, files) if not is_bad]
    assert result.exit_code == (1 if bad else 0), result.output
    errors = error_lines(result.stderr)
    assert len(errors) == len(bad)
    for path, line in zip(bad, errors):
        assert line.startswith(f"error: {one_line(f'{path}:')} ")
        assert all(char not in line for char in "\x1b\x07\u202e\n")
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [record["source"] for record in records] == [str(path) for path in good]
    for record in records:
        raw = Path(record["source"]).read_bytes().decode("utf-8")
        assert record["length"] == len(raw)
        assert all(raw[e["start"] : e["end"]] == e["text"] for e in record["entities"])
    for path, (_, content, _) in zip(paths, files):
        assert path.read_bytes() == content  # no input changed
    record = folder / f".{out.name}.xiezuo.json"  # the run that wrote the output (resume reads it)
    assert sorted(folder.iterdir()) == sorted(paths + [out, record])  # nothing else left behind


def test_replacing_a_finished_model_folder_leaves_the_new_one_whole(tmp_path):
    from training.train import replace_folder

    target, new = tmp_path / "model", tmp_path / ".partial-model"
    for folder, content in ((target, "old"), (new, "new")):
        folder.mkdir()
        (folder / "config.json").write_text(content, encoding="utf-8")
    replace_folder(new, target)
    assert (target / "config.json").read_text(encoding="utf-8") == "new"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model"]


def test_annotation_files_are_written_atomically(tmp_path, monkeypatch):
    """A write that fails halfway leaves the previous gold file as it was, and no temporary file."""
    import os

    from training.annotations import Document, Span, save_document

    path = tmp_path / "doc.json"
    save_document(Document("doc", "平塘县", [Span(0, 3, "REGION", "平塘县")]), path)
    before = path.read_bytes()

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        save_document(Document("doc", "平塘县人民医院", []), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["doc.json"]


def test_corpus_output_that_is_an_input_is_refused_and_the_input_kept(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        json.dumps({"id": "a", "text": "广州市白云区向平塘县投入帮扶资金"}, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    before = corpus.read_bytes()
    result = runner.invoke(app, ["tag", str(corpus), "--format", "jsonl", "--out", str(corpus)])
    assert result.exit_code == 1
    assert error_lines(result.stderr) == [
        f"error: --out {corpus}: is also an input; writing it would destroy the articles"
    ]
    assert corpus.read_bytes() == before


def test_a_password_in_a_url_is_never_echoed(monkeypatch):
    """LABEL_STUDIO_URL=http://user:password@host is echoed in the error line with the password as ***."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("LABEL_STUDIO_URL", f"http://annotator:pa55-w0rd@127.0.0.1:{port}")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "key-0123456789")
    result = runner.invoke(app, ["ls", "pull"])
    assert result.exit_code == 1 and "pa55-w0rd" not in result.output
    [line] = error_lines(result.output)
    assert f"http://annotator:***@127.0.0.1:{port}" in line
