"""Integration tests against a real Label Studio server started on 127.0.0.1 (SQLite, temporary data folder).

The server comes from `.venv-labelstudio` (`make labelstudio`) or LABEL_STUDIO_BIN;
where it cannot be installed these tests are skipped with that reason.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from training.annotations import LABELS, folder_labels, load_documents
from training.cli import app
from training.dataset import document_examples
from training.tags import spans_from_tags, tag_names
from training.vocab import CharVocab
from training.windows import IGNORE_INDEX

PROJECT = Path(__file__).resolve().parent.parent
LABEL_STUDIO = Path(os.environ.get("LABEL_STUDIO_BIN", PROJECT / ".venv-labelstudio" / "bin" / "label-studio"))
runner = CliRunner()
ARTICLE_WITH_EMOJI = "😀𠀀記者卢健從天河區教育局獲悉😀,廣 州市天河區向平塘縣投入幫扶資金27萬余元。𝕏\n2021年7月"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return json.loads(response.read()).get("status") == "UP"
    except (OSError, ValueError):
        return False


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory):
    """(url, api key) of a fresh server; stopped by its process group at the end."""
    if not LABEL_STUDIO.exists():
        pytest.skip(f"Label Studio is not installed at {LABEL_STUDIO} (run `make labelstudio`)")
    data = tmp_path_factory.mktemp("label-studio")
    token = secrets.token_hex(20)
    port = free_port()
    env = {
        **os.environ,
        "LABEL_STUDIO_BASE_DATA_DIR": str(data),
        "LABEL_STUDIO_USERNAME": "annotator@example.com",
        "LABEL_STUDIO_PASSWORD": secrets.token_hex(8),
        "LABEL_STUDIO_USER_TOKEN": token,
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        "LATEST_VERSION_CHECK": "false",
        "COLLECT_ANALYTICS": "false",
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
    }
    log = (data / "server.log").open("w")
    server = subprocess.Popen(
        [str(LABEL_STUDIO), "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 420  # the first start runs the database migrations (minutes on a busy machine)
        while not healthy(url):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Label Studio did not come up on {url}; see {data / 'server.log'}")
            time.sleep(1)
        yield url, token
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


@pytest.fixture
def ls_env(label_studio, monkeypatch):
    url, token = label_studio
    monkeypatch.setenv("LABEL_STUDIO_URL", url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", token)
    from label_studio_sdk import LabelStudio

    return LabelStudio(base_url=url, api_key=token)


@pytest.fixture
def articles(tmp_path) -> Path:
    folder = tmp_path / "raw"
    folder.mkdir()
    (folder / "emoji.txt").write_text(ARTICLE_WITH_EMOJI, encoding="utf-8")
    (folder / "plain.txt").write_text("记者罗建国从平塘县人民医院获悉。白云区投入50余万元。", encoding="utf-8")
    (folder / "third.txt").write_text("紫云自治县与毕节市交流。", encoding="utf-8")
    return folder


def tasks_of(client, title: str) -> dict:
    project = next(p for p in client.projects.list() if p.title == title)
    return {task.data["doc_id"]: task for task in client.tasks.list(project=project.id, fields="all")}


def labels_item(text: str, start: int, end: int, label: str) -> dict:
    return {
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": end, "text": text[start:end], "labels": [label]},
    }


def test_round_trip_push_correct_pull_train(ls_env, articles, tiny_model, tmp_path):
    title = "round trip"
    pushed = runner.invoke(app, ["ls", "push", str(articles), "--model", str(tiny_model), "--project", title])
    assert pushed.exit_code == 0, pushed.output
    assert "imported 3" in pushed.output
    assert os.environ["LABEL_STUDIO_API_KEY"] not in pushed.output

    tasks = tasks_of(ls_env, title)
    emoji = tasks["emoji"]
    text = emoji.data["text"]
    prediction = emoji.predictions[0]
    assert prediction.model_version == tiny_model.name and 0 < prediction.score <= 1
    # An annotator accepts the predictions that are right, fixes one span, adds one.
    accepted = [item for item in prediction.result if item["value"]["text"] in ("卢健", "平塘縣")]
    fixed = labels_item(text, text.index("天河區教育局"), text.index("天河區教育局") + 6, "ORG")
    added = labels_item(text, text.index("2021年7月"), len(text), "DATE")
    result = [*accepted, fixed, added]
    ls_env.annotations.create(id=emoji.id, result=result)
    ls_env.annotations.create(
        id=tasks["plain"].id, result=[labels_item(tasks["plain"].data["text"], 2, 5, "PERSON")], was_cancelled=True
    )
    ls_env.annotations.create(id=tasks["third"].id, result=[])

    folder = tmp_path / "annotations"
    pulled = runner.invoke(app, ["ls", "pull", "--dir", str(folder), "--project", title])
    assert pulled.exit_code == 0, pulled.output
    assert sorted(path.name for path in folder.iterdir()) == [
        "emoji.json",
        "label_config.xml",
    ]  # cancelled and empty ones are not imported
    assert folder_labels(folder) == LABELS  # the project's labelling config came with the annotations
    assert runner.invoke(app, ["annotations", "check", "--dir", str(folder)]).exit_code == 0

    [document] = load_documents(folder)
    expected = sorted((item["value"]["start"], item["value"]["end"], item["value"]["labels"][0]) for item in result)
    assert [(s.start, s.end, s.label) for s in document.spans] == expected
    assert all(
        document.text[s.start : s.end] == s.text for s in document.spans
    )  # astral characters did not shift offsets
    vocab = CharVocab(__import__("transformers").AutoTokenizer.from_pretrained(tiny_model))
    tags = tag_names("BIO", LABELS)
    [example] = document_examples(document, vocab, tags, "BIO", 512, 0)
    char_tags = [tags[i] for i in example["labels"] if i != IGNORE_INDEX]
    assert [(s.start, s.end, s.label) for s in spans_from_tags(char_tags, document.text)] == expected

    again = runner.invoke(app, ["ls", "push", str(articles), "--project", title])
    assert "imported 0, already there 3" in again.output
    assert len(tasks_of(ls_env, title)) == 3


def test_conflict_with_local_gold_is_listed_and_nothing_overwritten(ls_env, articles, tmp_path):
    title = "conflicts"
    assert runner.invoke(app, ["ls", "push", str(articles / "plain.txt"), "--project", title]).exit_code == 0
    task = tasks_of(ls_env, title)["plain"]
    text = task.data["text"]
    ls_env.annotations.create(id=task.id, result=[labels_item(text, 2, 5, "PERSON"), labels_item(text, 6, 13, "ORG")])
    folder = tmp_path / "annotations"
    assert runner.invoke(app, ["ls", "pull", "--dir", str(folder), "--project", title]).exit_code == 0

    local = folder / "plain.json"
    task_json = json.loads(local.read_text(encoding="utf-8"))
    task_json["annotations"][0]["result"][1]["value"]["labels"] = ["REGION"]  # the local gold now says otherwise
    local.write_text(json.dumps(task_json, ensure_ascii=False, indent=2), encoding="utf-8")
    before = local.read_bytes()

    conflicted = runner.invoke(app, ["ls", "pull", "--dir", str(folder), "--project", title])
    assert conflicted.exit_code == 1
    assert "plain: [6, 13) '平塘县人民医院' REGION: local has it, server does not" in conflicted.output
    assert "plain: [6, 13) '平塘县人民医院' ORG: server has it, local does not" in conflicted.output
    assert local.read_bytes() == before

    assert (
        runner.invoke(app, ["ls", "pull", "--dir", str(folder), "--project", title, "--prefer", "local"]).exit_code == 0
    )
    assert local.read_bytes() == before
    assert (
        runner.invoke(app, ["ls", "pull", "--dir", str(folder), "--project", title, "--prefer", "server"]).exit_code
        == 0
    )
    assert json.loads(local.read_text(encoding="utf-8"))["annotations"][0]["result"][1]["value"]["labels"] == ["ORG"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda text: [labels_item(text, 2, 5, "PERSON"), labels_item(text, 4, 8, "ORG")], "overlaps [2, 5)"),
        (
            lambda text: [
                {**labels_item(text, 2, 5, "PERSON"), "value": {"start": 90, "end": 95, "text": "x", "labels": ["ORG"]}}
            ],
            "[90, 95) 'x': offsets outside the text",
        ),
        (lambda text: [labels_item(text, 2, 5, "LOC")], "unknown label 'LOC'"),
        (
            lambda text: [
                {
                    **labels_item(text, 2, 5, "PERSON"),
                    "value": {"start": 2, "end": 5, "text": "王五", "labels": ["PERSON"]},
                }
            ],
            "[2, 5) '王五': text differs from the slice",
        ),
    ],
)
def test_bad_export_is_reported_with_task_and_offsets_and_nothing_merged(ls_env, articles, tmp_path, edit, message):
    title = f"bad export {secrets.token_hex(3)}"
    assert runner.invoke(app, ["ls", "push", str(articles), "--project", title]).exit_code == 0
    tasks = tasks_of(ls_env, title)
    ls_env.annotations.create(id=tasks["third"].id, result=[labels_item(tasks["third"].data["text"], 0, 5, "REGION")])
    bad = tasks["plain"]
    ls_env.annotations.create(id=bad.id, result=edit(bad.data["text"]))
    folder = tmp_path / "annotations"
    result = runner.invoke(app, ["ls", "pull", "--dir", str(folder), "--project", title])
    assert result.exit_code == 1
    assert f"task {bad.id}: task plain" in result.output and message in result.output
    assert "nothing merged" in result.output and not folder.exists()


def test_rank_uncertainty_puts_least_sure_first(ls_env, articles, tiny_model):
    title = "ranked"
    assert (
        runner.invoke(
            app, ["ls", "push", str(articles), "--model", str(tiny_model), "--rank", "uncertainty", "--project", title]
        ).exit_code
        == 0
    )
    tasks = sorted(tasks_of(ls_env, title).values(), key=lambda task: task.id)
    scores = [task.predictions[0].score if task.predictions else 1.0 for task in tasks]
    assert scores == sorted(scores)


def test_wrong_key_and_unreachable_server_are_one_sentence(label_studio, monkeypatch):
    url, _ = label_studio
    monkeypatch.setenv("LABEL_STUDIO_URL", url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "not-the-key")
    result = runner.invoke(app, ["ls", "pull"])
    assert result.exit_code == 1 and "refused the API key (HTTP 401)" in result.output
    assert "not-the-key" not in result.output and "Traceback" not in result.output
    monkeypatch.setenv("LABEL_STUDIO_URL", f"http://127.0.0.1:{free_port()}")
    result = runner.invoke(app, ["ls", "pull"])
    assert result.exit_code == 1 and "cannot reach Label Studio" in result.output


def test_pull_never_writes_outside_its_folder_whatever_the_doc_ids(ls_env, tmp_path):
    """Whoever can import tasks controls data.doc_id: `../`, absolute paths, `/` and one id on two tasks
    are problems named per task, and nothing is written anywhere (issue 25)."""
    title = f"hostile ids {secrets.token_hex(3)}"
    text = "记者罗建国从平塘县人民医院获悉。"
    (tmp_path / "abs").mkdir()  # where `/abs/x` would land
    folder = tmp_path / "a" / "b" / "annotations"
    project = ls_env.projects.create(
        title=title, label_config=(PROJECT / "annotations" / "label_config.xml").read_text()
    )
    ids = ["../../../x", f"{tmp_path}/abs/x", "a/b", "same", "same"]
    ls_env.projects.import_tasks(id=project.id, request=[{"data": {"text": text, "doc_id": i}} for i in ids])
    for task in ls_env.tasks.list(project=project.id, fields="all"):
        ls_env.annotations.create(id=task.id, result=[labels_item(text, 2, 5, "PERSON")])
    result = runner.invoke(app, ["ls", "pull", "--dir", str(folder), "--project", title])
    assert result.exit_code == 1 and "talking to Label Studio failed" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 4 and "nothing merged" in result.output
    assert sum("has a path separator" in line for line in errors) == 2  # the absolute path and a/b
    assert any("'../../../x' starts with a dot" in line for line in errors)
    assert any("doc id 'same' is on 2 tasks" in line for line in errors)
    assert sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*")) == ["abs"]
