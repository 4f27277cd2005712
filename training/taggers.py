"""The one way to load a tagger for a runtime: torch (training/infer.py) or ONNX Runtime
(training/onnx_runtime.py). Torch is imported only for the torch runtime, so a process that tags
with ONNX never loads it."""

from __future__ import annotations

from pathlib import Path

from training.choices import DEFAULT_BATCH_SIZE
from training.errors import XiezuoError
from training.onnx_runtime import ONNX_FILES, OnnxTagger, checked_session
from training.shipped import check_model_folder
from training.tagged import WindowTagger

RUNTIMES = ("torch", *ONNX_FILES)


def check_runtime(model: Path, runtime: str) -> dict:
    """The model folder's config, after the checks a load would make (the gate; for ONNX, the export and
    its weights), without loading the model: one line before any work is done or any worker spawned."""
    if runtime not in RUNTIMES:
        raise XiezuoError(f"--runtime must be one of {', '.join(RUNTIMES)}, not {runtime!r}")
    config = check_model_folder(model)
    if runtime != "torch":
        checked_session(model, runtime, threads=1)
    return config


def load_tagger(
    model: str | Path,
    runtime: str = "torch",
    batch_size: int = DEFAULT_BATCH_SIZE,
    device: str | None = None,
    threads: int | None = None,
) -> WindowTagger:
    """A tagger with `tag_batch`, `__call__` and `predict_normalised` for the model folder, on `runtime`.
    `threads`: CPU threads of this process (torch's default, or OMP_NUM_THREADS, when None)."""
    model = Path(model)
    if runtime != "torch":
        return OnnxTagger.from_pretrained(model, runtime, batch_size=batch_size, threads=threads)
    import torch

    from training.infer import Tagger

    if threads:
        torch.set_num_threads(threads)
    return Tagger.from_pretrained(model, batch_size=batch_size, device=device)
