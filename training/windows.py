"""Windows of characters: how an article of any length is cut for the model, and one window encoded as
[CLS] characters [SEP]. Shared by training (training/dataset.py) and tagging (training/infer.py); it needs
neither `datasets` nor torch."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from training.annotations import Span
    from training.vocab import CharVocab

SPECIAL_TOKENS = 2  # [CLS] and [SEP] take two positions of every window

SENTENCE_ENDS = set("。！？；!?;\n")
IGNORE_INDEX = -100  # positions the loss and metrics skip ([CLS], [SEP], padding)


def windows(length: int, max_chars: int, overlap: int, text: str = "", spans: list[Span] = ()) -> list[tuple[int, int]]:
    """Cut [0, length) into windows of at most `max_chars` characters that overlap by about `overlap`.

    A window ends, by preference, just after a sentence end in its second half;
    no cut (end or start) falls inside a gold entity.
    """
    inside = [False] * (length + 1)  # inside[i]: a cut at i would split an entity
    for span in spans:
        for position in range(span.start + 1, span.end):
            inside[position] = True
    result: list[tuple[int, int]] = []
    start = 0
    while start < length:
        limit = min(start + max_chars, length)
        end = limit
        if limit < length:
            sentence_cuts = [
                cut
                for cut in range(limit, start + max_chars // 2, -1)
                if not inside[cut] and text[cut - 1] in SENTENCE_ENDS
            ]
            any_cuts = [cut for cut in range(limit, start, -1) if not inside[cut]]
            end = (sentence_cuts or any_cuts or [limit])[0]
        result.append((start, end))
        if end >= length:
            break
        next_start = max(end - overlap, start + 1)
        while next_start < end and inside[next_start]:
            next_start += 1
        start = next_start
    return result


def encode_window(
    char_ids: list[int], vocab: CharVocab, tag_ids: list[int] | None = None, lexicon_flags: list[int] | None = None
) -> dict[str, list[int]]:
    """[CLS] characters [SEP], with labels (and lexicon flags) aligned to characters; IGNORE_INDEX (no flags) elsewhere."""
    example = {
        "input_ids": [vocab.cls_id, *char_ids, vocab.sep_id],
        "attention_mask": [1] * (len(char_ids) + SPECIAL_TOKENS),
    }
    if tag_ids is not None:
        example["labels"] = [IGNORE_INDEX, *tag_ids, IGNORE_INDEX]
    if lexicon_flags is not None:
        example["lexicon_flags"] = [0, *lexicon_flags, 0]
    return example
