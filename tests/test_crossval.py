"""Cross-validation over the seeds while the written corpus keeps its own split in every fold."""

from pathlib import Path

from training.annotations import load_documents, load_folders
from training.config import load_config
from training.crossval import fold_configs

PROJECT = Path(__file__).resolve().parents[1]


def test_folds_are_made_of_the_first_folder_and_the_corpus_split_stays(tmp_path, monkeypatch):
    monkeypatch.chdir(PROJECT)
    config = load_config(PROJECT / "configs" / "offline-small.yaml")
    documents, _ = load_folders(config.data.annotations)
    seeds = [document.doc_id for document in load_documents(config.data.annotations[0])]
    configs = fold_configs(config, documents, seeds, 5, tmp_path)
    corpus_train = [name for name in config.data.split.train if name.startswith("train-")]
    tested = []
    for fold in configs:
        split = fold.data.split
        assert len(split.test) == 1 and split.test[0] in seeds
        assert set(split.train) == (set(seeds) - set(split.test)) | set(corpus_train)
        assert split.dev == ["dev-1"]
        tested += split.test
    assert sorted(tested) == sorted(seeds)
