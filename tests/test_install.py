"""A non-editable install (`pip install .`) works away from the source checkout: package data, no paths outside the package."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
SEED = PROJECT / "seeds" / "000_7a95b9ea3265a927.txt"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The package installed (not editable, no dependencies: they are the test environment's) into a folder of its own."""
    source, target = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("site")
    shutil.copytree(PROJECT / "training", source / "training", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(PROJECT / "models" / "xiezuo-small", source / "models" / "xiezuo-small")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(PROJECT / name, source / name)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(target),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    return target


def run(installed: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(installed), "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [str(installed / "bin" / "xiezuo-ner"), *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_installed_package_is_the_one_that_runs(installed, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(installed)}
    result = subprocess.run(
        [sys.executable, "-c", "import training.labels as l; print(l.__file__, l.LABELS)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.startswith(str(installed)) and "REGION" in result.stdout


def test_installed_tag_with_a_model_tags_from_another_directory(installed, tmp_path):
    result = run(
        installed,
        "tag",
        str(SEED),
        "--model",
        str(PROJECT / "models" / "xiezuo-small"),
        "--format",
        "jsonl",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    [article] = [json.loads(line) for line in result.stdout.splitlines()]
    assert article["entities"]


def test_installed_package_tags_with_its_shipped_model_from_another_directory(installed, tmp_path):
    shutil.copy(SEED, tmp_path / "a.txt")
    result = run(installed, "tag", "a.txt", "--format", "jsonl", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    [article] = [json.loads(line) for line in result.stdout.splitlines()]
    assert article["source"] == "a.txt" and article["entities"]
    assert (installed / "training" / "shipped_model" / "model.safetensors").is_file()
    version = run(installed, "--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("xiezuo-ner ")


def test_installed_tag_without_the_shipped_model_asks_for_model_in_one_line(installed, tmp_path):
    bare = tmp_path / "site"
    shutil.copytree(installed, bare, ignore=shutil.ignore_patterns("shipped_model"))
    result = run(bare, "tag", str(SEED), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "--model" in result.stderr and "Traceback" not in result.stderr


def test_installed_ls_push_help_works_from_another_directory(installed, tmp_path):
    result = run(installed, "ls", "push", "--help", cwd=tmp_path)
    assert result.returncode == 0 and "Import articles as tasks" in result.stdout
