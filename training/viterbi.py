"""The CRF's Viterbi decode in NumPy: what `modeling.CRF.decode` computes, without torch.

The ONNX runtime runs the emission graph in ONNX Runtime and decodes here, with the start, end
and transition scores the export stores beside the graph (training/onnx_export.py).
"""

from __future__ import annotations

import numpy as np


def viterbi(
    emissions: np.ndarray, mask: np.ndarray, start: np.ndarray, end: np.ndarray, transitions: np.ndarray
) -> np.ndarray:
    """Best tag sequence per row (B, L) of int64; positions outside the mask are 0.

    emissions (B, L, T) float; mask (B, L) bool, a prefix per row; transitions[from, to].
    """
    emissions = emissions.astype(np.float32, copy=False)
    batch, length, tags = emissions.shape
    best = start + emissions[:, 0]  # (B, T)
    backpointers = np.empty((max(length - 1, 0), batch, tags), dtype=np.int64)
    keep = np.broadcast_to(np.arange(tags), (batch, tags))  # a masked position points to itself
    for position in range(1, length):
        candidates = best[:, :, None] + transitions  # (B, from, to)
        pointers = candidates.argmax(axis=1)
        scores = np.take_along_axis(candidates, pointers[:, None, :], axis=1)[:, 0]
        step = mask[:, position, None]
        best = np.where(step, scores + emissions[:, position], best)
        backpointers[position - 1] = np.where(step, pointers, keep)
    best = best + end
    path = np.empty((batch, length), dtype=np.int64)
    path[:, -1] = best.argmax(axis=1)
    for position in range(length - 2, -1, -1):
        path[:, position] = np.take_along_axis(backpointers[position], path[:, position + 1, None], axis=1)[:, 0]
    return path * mask
