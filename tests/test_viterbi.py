"""The NumPy Viterbi (training/viterbi.py) decodes what the torch CRF decodes."""

from __future__ import annotations

import numpy as np
import torch

from training.modeling import CRF
from training.viterbi import viterbi


def test_numpy_viterbi_equals_the_torch_crf_on_random_emissions_and_masks():
    rng = np.random.default_rng(7)
    for trial in range(60):
        batch, length, tags = rng.integers(1, 9), rng.integers(1, 40), rng.integers(2, 22)
        crf = CRF(int(tags))
        with torch.no_grad():
            for parameter in (crf.start, crf.end, crf.transitions):
                parameter.copy_(torch.from_numpy(rng.normal(0, 2, parameter.shape).astype(np.float32)))
        emissions = rng.normal(0, 3, (batch, length, tags)).astype(np.float32)
        lengths = rng.integers(1, length + 1, batch)
        lengths[0] = length  # one full row, the others any prefix
        mask = np.arange(length)[None, :] < lengths[:, None]
        expected = crf.decode(torch.from_numpy(emissions), torch.from_numpy(mask)).numpy()
        found = viterbi(
            emissions, mask, crf.start.detach().numpy(), crf.end.detach().numpy(), crf.transitions.detach().numpy()
        )
        assert found.dtype == np.int64 and found.shape == (batch, length)
        np.testing.assert_array_equal(found, expected, err_msg=f"trial {trial}")
