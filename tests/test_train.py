import json

import pytest
import torch
from safetensors.torch import load_file
from transformers import TrainerCallback, pipeline

from tests.conftest import MODEL_FOLDER_FILES, tiny_config_dict
from training.config import config_from_dict
from training.errors import XiezuoError
from training.infer import Tagger, pad_batch
from training.train import StopAfterStep, model_card, partial_dir, train

SAMPLE = "2021年7月,广州市天河区向平塘县投入帮扶资金27万余元。记者卢健从天河区教育局获悉。"


def test_tiny_model_learns_and_writes_a_complete_folder(tiny_model):
    assert MODEL_FOLDER_FILES <= {path.name for path in tiny_model.iterdir()}
    run = json.loads((tiny_model / "run.json").read_text())
    losses = [loss for _, loss in run["loss_curve"]]
    assert losses[-1] < losses[0] / 3
    assert len(run["training_data_hash"]) == 16 and run["versions"]["transformers"]
    metrics = json.loads((tiny_model / "metrics.json").read_text())["dev"]
    assert metrics["micro"]["f1"] > 0.8
    config = json.loads((tiny_model / "config.json").read_text())
    assert config["id2label"]["1"] == "B-REGION" and config["label2id"]["O"] == 0


def test_saved_folder_reloads_with_identical_predictions(tiny_model):
    first, second = Tagger.from_pretrained(tiny_model), Tagger.from_pretrained(tiny_model)
    assert first(SAMPLE) == second(SAMPLE)
    assert {(e.label, e.text) for e in first(SAMPLE).entities} >= {("REGION", "广州市天河区"), ("PERSON", "卢健")}


def test_model_card_sends_users_to_the_tagger_not_the_pipeline(tiny_model, tiny_config):
    card = (tiny_model / "README.md").read_text(encoding="utf-8")
    assert "Use the `Tagger`, not `transformers.pipeline" in card and "skips the project's normalisation" in card
    tree = tiny_config.model_dump(mode="json")
    tree["data"]["tagging_scheme"] = "BIOES"
    tree["model"].update(crf=True, lexicon=True)
    lexicon_card = model_card(
        config_from_dict(tree, "lexicon"),
        {"per_label": {}, "micro": {"f1": 0.5}},
        {"training_data_hash": "x", "git_commit": None},
    )
    for reason in ("as BIO while this model speaks BIOES", "drops the CRF layer", "dictionary-word flags"):
        assert reason in lexicon_card


def test_plain_bio_folder_loads_in_a_transformers_pipeline(tiny_model):
    tagger = pipeline("token-classification", model=str(tiny_model), aggregation_strategy="simple")
    groups = {
        (group["entity_group"], group["word"].replace(" ", "")) for group in tagger("记者卢健从天河区教育局获悉。")
    }
    assert ("PERSON", "卢健") in groups


def test_resume_after_interruption_gives_the_same_weights(synthetic_annotations, tmp_path):
    settings = {"epochs": 4, "eval_steps": 5}
    straight = train(
        config_from_dict(tiny_config_dict(synthetic_annotations, tmp_path / "a", **settings), "a"), progress=False
    )

    config = config_from_dict(tiny_config_dict(synthetic_annotations, tmp_path / "b", **settings), "b")
    with pytest.raises(KeyboardInterrupt):
        train(config, callbacks=[StopAfterStep(10)], progress=False)
    assert not (config.output_dir / config.run_name).exists()  # nothing that looks complete
    assert partial_dir(config).is_dir()
    resumed = train(config, resume=True, progress=False)

    first, second = load_file(straight / "model.safetensors"), load_file(resumed / "model.safetensors")
    assert first.keys() == second.keys()
    assert all(torch.equal(first[name], second[name]) for name in first)
    assert not partial_dir(config).exists()


def test_resume_without_checkpoint_is_a_clear_error(tiny_config):
    with pytest.raises(XiezuoError, match="--resume: no checkpoint under"):
        train(tiny_config, resume=True, progress=False)


def test_crf_head_with_lexicon_trains_and_reloads(synthetic_annotations, tmp_path):
    tree = tiny_config_dict(synthetic_annotations, tmp_path, epochs=3, eval_steps=10)
    tree["model"].update(crf=True, lexicon=True)
    model_dir = train(config_from_dict(tree, "crf"), progress=False)
    tagger = Tagger.from_pretrained(model_dir)
    assert tagger.use_crf and tagger.lexicon is not None
    assert tagger.model.config.lexicon_fingerprint == tagger.lexicon.fingerprint
    # The flags reach the model: the same window without them gives other emissions.
    text = "广州市白云区对口帮扶平塘县"
    [(_, example)] = list(tagger._windows([text], [tagger._encode(text)]))
    with_flags = pad_batch([example], tagger.vocab.pad_id, tagger.device)
    without = {key: value for key, value in with_flags.items() if key != "lexicon_flags"}
    with torch.inference_mode():
        assert not torch.allclose(tagger.model(**with_flags).logits, tagger.model(**without).logits)
    assert tagger(SAMPLE) == Tagger.from_pretrained(model_dir)(SAMPLE)


def test_unreachable_hub_model_fails_with_one_sentence(synthetic_annotations, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    tree = tiny_config_dict(synthetic_annotations, tmp_path)
    tree["model"].update(name_or_path="bert-base-chinese", from_scratch=None)
    with pytest.raises(XiezuoError, match=r"cannot load model 'bert-base-chinese'.*set model.name_or_path") as raised:
        train(config_from_dict(tree, "hub"), progress=False)
    assert "\n" not in str(raised.value)


def test_pretrained_encoder_folder_feeds_training(synthetic_annotations, tmp_path):
    from training.annotations import load_documents
    from training.pretrain import PretrainConfig, pretrain

    raw = tmp_path / "raw"
    raw.mkdir()
    for document in load_documents(synthetic_annotations):
        (raw / f"{document.doc_id}.txt").write_text(document.text, encoding="utf-8")
    encoder = pretrain(
        PretrainConfig.model_validate(
            {
                "run_name": "mlm",
                "seed": 1,
                "output_dir": str(tmp_path / "models"),
                "dropout": 0.1,
                "data": {"texts": [str(raw)], "max_length": 48},
                "encoder": {
                    "num_hidden_layers": 1,
                    "hidden_size": 64,
                    "num_attention_heads": 2,
                    "intermediate_size": 128,
                },
                "training": {
                    "epochs": 2,
                    "batch_size": 8,
                    "learning_rate": 1e-3,
                    "weight_decay": 0.0,
                    "warmup_ratio": 0.0,
                    "mlm_probability": 0.15,
                },
            }
        ),
        progress=False,
    )
    assert (encoder / "model.safetensors").is_file() and not (tmp_path / "models" / ".mlm.partial").exists()
    tree = tiny_config_dict(synthetic_annotations, tmp_path / "models", epochs=2, eval_steps=2)
    tree["model"].update(name_or_path=str(encoder), from_scratch=None, crf=True)
    model_dir = train(config_from_dict(tree, "from-encoder"), progress=False)
    mlm, tagger = load_file(encoder / "model.safetensors"), load_file(model_dir / "model.safetensors")
    assert mlm["bert.embeddings.word_embeddings.weight"].shape == tagger["bert.embeddings.word_embeddings.weight"].shape
    # The CRF is not in the encoder folder: it starts at zero and learns (uninitialised memory gave a NaN loss).
    losses = [loss for _, loss in json.loads((model_dir / "run.json").read_text())["loss_curve"]]
    assert losses and all(0 < loss < 1e4 for loss in losses)
    assert tagger["crf.transitions"].isfinite().all() and tagger["crf.transitions"].abs().max() < 100


def test_pretraining_reads_raw_articles_and_task_files(synthetic_annotations, tmp_path):
    """Unlabelled text for MLM: raw *.txt articles are normalised; task files (imported data too) give their texts."""
    from training.annotations import load_documents
    from training.pretrain import article_texts

    (tmp_path / "a.txt").write_text("廣 州市白云區,,對口幫扶", encoding="utf-8")
    texts = article_texts([tmp_path / "a.txt", synthetic_annotations / "doc0.json"])
    assert texts == ["广州市白云区,对口帮扶", load_documents(synthetic_annotations)[0].text]


def test_average_last_saves_the_mean_of_the_last_evaluations(synthetic_annotations, tmp_path):
    """`training.average_last: 3` writes the mean of the weights seen at the last three evaluations."""
    seen = []

    class Capture(TrainerCallback):
        def on_evaluate(self, args, state, control, model=None, **kwargs):
            seen.append({name: value.detach().clone() for name, value in model.state_dict().items()})

    tree = tiny_config_dict(synthetic_annotations, tmp_path, epochs=2, eval_steps=2)
    tree["training"]["average_last"] = 3
    saved = load_file(train(config_from_dict(tree, "avg"), callbacks=[Capture()], progress=False) / "model.safetensors")
    assert len(seen) > 3
    name = next(name for name in saved if name.endswith("classifier.weight"))
    expected = torch.stack([weights[name] for weights in seen[-3:]]).mean(0)
    assert torch.allclose(saved[name], expected, atol=1e-6)
    assert not torch.allclose(saved[name], seen[-1][name])  # not simply the last (or the best) evaluation
