"""`ls pull`'s merge of the server's documents into an annotation folder, without a server.

Doc ids come from whoever can import tasks into the project: they never write outside the folder,
and a bad one (or two tasks with one id) merges nothing. The same merge runs against a real
Label Studio server in tests/test_labelstudio.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from training.annotations import LABELS, Document, Span, doc_id_problem, load_task_file
from training.errors import XiezuoError
from training.files import inside
from training.labels import PROJECT_LABEL_CONFIG
from training.labelstudio import merge

TEXT = "记者罗建国从平塘县人民医院获悉。"


def document(doc_id: str, task: int, label: str = "PERSON") -> Document:
    return Document(doc_id=doc_id, text=TEXT, spans=[Span(2, 5, label, "罗建国")], path=Path(f"task {task}"))


def pull_into(folder: Path, documents: list[Document], prefer: str | None = None):
    return merge(documents, LABELS, PROJECT_LABEL_CONFIG.read_text(encoding="utf-8"), folder, prefer)


def files_under(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


@pytest.mark.parametrize("doc_id", ["../../../x", "/abs/x", "a/b", "..", ".hidden", "", "a\x00b", "a\\b"])
def test_a_doc_id_that_is_not_a_file_stem_merges_nothing(tmp_path, doc_id):
    folder = tmp_path / "deep" / "er" / "annotations"
    result = pull_into(folder, [document("good", 1), document(doc_id, 2)])
    assert len(result.problems) == 1 and result.problems[0].startswith("task 2: doc id")
    assert files_under(tmp_path) == [] and not result.written


def test_two_tasks_with_one_doc_id_are_a_problem_before_anything_is_written(tmp_path):
    folder = tmp_path / "annotations"
    result = pull_into(folder, [document("same", 1), document("other", 2), document("same", 3, "ORG")])
    assert result.problems == ["doc id 'same' is on 2 tasks (task 1, task 3); keep one task per article"]
    assert not folder.exists() and not result.conflicts and not result.written


def test_good_documents_are_written_as_doc_id_json(tmp_path):
    folder = tmp_path / "annotations"
    result = pull_into(folder, [document("一号", 1), document("task-2", 2)])
    assert result.problems == [] and result.written == ["一号", "task-2"]
    assert files_under(folder) == ["label_config.xml", "task-2.json", "一号.json"]
    assert load_task_file(folder / "一号.json").spans == [Span(2, 5, "PERSON", "罗建国")]


def test_inside_refuses_names_that_leave_the_folder(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "link.json").symlink_to(tmp_path / "elsewhere.json")
    assert inside(tmp_path / "out", "a.json") == tmp_path / "out" / "a.json"
    for name in ("../a.json", "/tmp/a.json", "sub/a.json", "link.json"):
        with pytest.raises(XiezuoError, match="would be written outside"):
            inside(tmp_path / "out", name)


def test_doc_id_rule_accepts_the_projects_ids():
    for doc_id in ("000_7a95b9ea3265a927", "train-1-a3", "task-17", "广州 新闻"):
        assert doc_id_problem(doc_id) is None
    assert "longer than 200 bytes" in doc_id_problem("字" * 70)
