import itertools

import pytest
import torch

from training.config import ModelConfig, ScratchEncoder
from training.modeling import (
    CRF,
    BertCrfForTokenClassification,
    build_model,
    char_tokenizer,
    character_positions,
    crf_view,
    scratch_bert_config,
)
from training.windows import IGNORE_INDEX


def path_score(crf: CRF, emissions: torch.Tensor, path: tuple[int, ...]) -> torch.Tensor:
    score = crf.start[path[0]] + emissions[0, path[0]] + crf.end[path[-1]]
    for position in range(1, len(path)):
        score = score + crf.transitions[path[position - 1], path[position]] + emissions[position, path[position]]
    return score


@pytest.fixture
def random_crf() -> CRF:
    torch.manual_seed(0)
    crf = CRF(3)
    with torch.no_grad():
        for parameter in crf.parameters():
            parameter.normal_()
    return crf


@pytest.mark.parametrize("seed", range(5))
def test_crf_matches_brute_force_over_all_paths(random_crf, seed):
    """Viterbi = the best of all tag paths; log-likelihood = path score - log-sum-exp over all paths (rows of several lengths)."""
    generator = torch.Generator().manual_seed(seed)
    lengths = [4, 1, 3]
    emissions = torch.randn(len(lengths), 4, 3, generator=generator)
    mask = torch.arange(4) < torch.tensor(lengths).unsqueeze(1)
    tags = torch.randint(0, 3, (len(lengths), 4), generator=generator)
    decoded = random_crf.decode(emissions, mask)
    expected_losses = []
    for row, length in enumerate(lengths):
        paths = list(itertools.product(range(3), repeat=length))
        scores = torch.stack([path_score(random_crf, emissions[row], path) for path in paths])
        assert tuple(decoded[row, :length].tolist()) == paths[int(scores.argmax())]
        assert decoded[row, length:].eq(0).all()
        gold = path_score(random_crf, emissions[row], tuple(tags[row, :length].tolist()))
        expected_losses.append(torch.logsumexp(scores, 0) - gold)
    loss = random_crf.neg_log_likelihood(emissions, tags, mask)
    assert torch.allclose(loss, torch.stack(expected_losses).mean(), atol=1e-5)


def test_crf_view_from_labels_equals_view_from_attention_mask():
    """Training (labels) and inference (attention mask) give the CRF the same characters: [CLS] dropped, [SEP] and padding out."""
    attention_mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    labels = torch.tensor(
        [[IGNORE_INDEX, 2, 0, 1, IGNORE_INDEX], [IGNORE_INDEX, 3, IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX]]
    )
    logits = torch.randn(2, 5, 4)
    from_labels = crf_view(logits, labels != IGNORE_INDEX)
    from_mask = crf_view(logits, character_positions(attention_mask))
    assert torch.equal(from_labels[1], from_mask[1])
    assert from_mask[1].tolist() == [[True, True, True, False], [True, False, False, False]]
    assert torch.equal(from_labels[0], logits[:, 1:])


def saved_tagger(folder, tags: list[str]):
    """A tiny BERT+CRF token classifier for `tags`, saved with its tokenizer, with a random head."""
    torch.manual_seed(1)
    tokenizer = char_tokenizer(["平塘县"], folder / "vocab.txt")
    config = scratch_bert_config(
        SMALL,
        tokenizer.vocab_size,
        0.1,
        num_labels=len(tags),
        id2label=dict(enumerate(tags)),
        label2id={t: i for i, t in enumerate(tags)},
    )
    config.use_crf, config.lexicon_features = True, 0
    model = BertCrfForTokenClassification(config)
    with torch.no_grad():
        for parameter in model.crf.parameters():
            parameter.normal_()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return model


SMALL = ScratchEncoder(num_hidden_layers=1, hidden_size=16, num_attention_heads=1, intermediate_size=16)


def fine_tune_from(folder, tags: list[str]):
    config = ModelConfig.model_construct(
        name_or_path=str(folder), from_scratch=None, crf=True, lexicon=False, dropout=0.1
    )
    return build_model(config, tags, [], folder)[1]


def test_fine_tuning_from_a_head_with_the_same_labels_in_another_order_reorders_its_rows(tmp_path):
    source_tags = ["O", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
    source = saved_tagger(tmp_path, source_tags)
    new_tags = ["O", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]
    model = fine_tune_from(tmp_path, new_tags)
    order = [source_tags.index(tag) for tag in new_tags]
    assert torch.equal(model.classifier.weight, source.classifier.weight[order])
    assert torch.equal(model.classifier.bias, source.classifier.bias[order])
    assert torch.equal(model.crf.transitions, source.crf.transitions[order][:, order])
    assert torch.equal(model.crf.start, source.crf.start[order]) and torch.equal(model.crf.end, source.crf.end[order])


def test_fine_tuning_from_a_head_of_the_same_size_with_other_labels_starts_the_head_afresh(tmp_path, caplog):
    source = saved_tagger(tmp_path, ["O", "B-ORG", "I-ORG", "B-LOC", "I-LOC"])
    model = fine_tune_from(tmp_path, ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"])
    assert "its head was trained for other labels (ORG, LOC); a fresh head is trained for PER, LOC" in caplog.text
    assert not torch.equal(model.classifier.weight, source.classifier.weight)
    assert model.crf.transitions.eq(0).all()
    assert torch.equal(
        model.bert.embeddings.word_embeddings.weight, source.bert.embeddings.word_embeddings.weight
    )  # the encoder carries over
