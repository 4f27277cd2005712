"""Tagging on ONNX Runtime without torch: the exported emission graph, then the CRF's Viterbi in NumPy.

An export (`xiezuo-ner export --onnx [--int8]`, training/onnx_export.py) records in the ONNX file's
metadata the sha256 of the weights it was made from and the CRF's start, end and transition
scores. A file whose digest is not that of the folder's model.safetensors is refused: it would tag
with a model that is no longer there.

    from training.onnx_runtime import OnnxTagger
    tagger = OnnxTagger.from_pretrained(Path("models/xiezuo-small"), "onnx-int8")
    tagger.tag_batch(["廣州市白雲區對口幫扶平塘縣"])   # TaggedArticle list, as training.infer.Tagger's

Nothing here imports torch or transformers: a process that tags with ONNX stays a fraction of a
torch process's memory and starts faster.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from training.choices import DEFAULT_BATCH_SIZE
from training.errors import XiezuoError, first_line
from training.shipped import check_model_folder, weights_digest
from training.tagged import WindowTagger
from training.viterbi import viterbi
from training.vocab import CharVocab

ONNX_FILES = {"onnx": "model.onnx", "onnx-int8": "model.int8.onnx"}
DIGEST_KEY = "xiezuo.weights_sha256"  # metadata of an export: the sha256 of model.safetensors it was made from
CRF_KEY = "xiezuo.crf"  # metadata of an export: {"start": [...], "end": [...], "transitions": [[...]]}


def export_command(model_dir: Path, runtime: str) -> str:
    return f"`xiezuo-ner export --model {model_dir} --onnx{' --int8' if runtime == 'onnx-int8' else ''}`"


def onnx_file(model_dir: Path, runtime: str) -> Path:
    """The exported file `runtime` (onnx or onnx-int8) runs, which must exist."""
    if runtime not in ONNX_FILES:
        raise XiezuoError(f"runtime must be torch, {' or '.join(ONNX_FILES)}, not {runtime!r}")
    path = model_dir / ONNX_FILES[runtime]
    if not path.is_file():
        raise XiezuoError(f"{path}: no ONNX model; write it with {export_command(model_dir, runtime)}")
    return path


def default_threads() -> int:
    """Threads for one process: OMP_NUM_THREADS when set (as torch reads it), else the cores this process may use."""
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "")))
    except ValueError:
        return len(os.sched_getaffinity(0))


def checked_session(model_dir: Path, runtime: str, threads: int | None = None):
    """(ONNX Runtime session, its export metadata) for `runtime`, refused in one line when the file is
    missing, unreadable, or exported from other weights than the folder's."""
    import onnxruntime

    path = onnx_file(model_dir, runtime)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or default_threads()  # --workers sets it per process: N x threads <= cores
    options.inter_op_num_threads = 1
    try:
        session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own exception types for a corrupt or foreign file
        raise XiezuoError(f"{path}: not an ONNX model ONNX Runtime can load ({first_line(error)})") from None
    metadata = session.get_modelmeta().custom_metadata_map
    recorded = metadata.get(DIGEST_KEY)
    if recorded is None:
        raise XiezuoError(
            f"{path}: no record of the weights it was exported from (an older export); "
            f"export again with {export_command(model_dir, runtime)}"
        )
    if recorded != weights_digest(model_dir):
        raise XiezuoError(
            f"{path}: exported from other weights than {model_dir / 'model.safetensors'} (sha256 {recorded[:12]}…, "
            f"the folder's is another); export again with {export_command(model_dir, runtime)}"
        )
    return session, metadata


class OnnxTagger(WindowTagger):
    """A model folder's ONNX export, wrapped for whole articles: the methods of training.infer.Tagger."""

    def __init__(self, model_dir: Path, runtime: str, batch_size: int = DEFAULT_BATCH_SIZE, threads: int | None = None):
        config = check_model_folder(model_dir)
        super().__init__(config, CharVocab.from_folder(model_dir), model_dir.name, batch_size)
        self.session, metadata = checked_session(model_dir, runtime, threads)
        self.input_names = [item.name for item in self.session.get_inputs()]
        self.crf = None
        if config.get("use_crf"):
            if CRF_KEY not in metadata:
                raise XiezuoError(
                    f"{onnx_file(model_dir, runtime)}: the model has a CRF but the export does not carry it; "
                    f"export again with {export_command(model_dir, runtime)}"
                )
            crf = json.loads(metadata[CRF_KEY])
            self.crf = tuple(np.asarray(crf[key], dtype=np.float32) for key in ("start", "end", "transitions"))

    @classmethod
    def from_pretrained(
        cls, path: str | Path, runtime: str = "onnx", batch_size: int = DEFAULT_BATCH_SIZE, threads: int | None = None
    ) -> OnnxTagger:
        return cls(Path(path), runtime, batch_size=batch_size, threads=threads)

    def _forward(self, inputs: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        logits = self.session.run(None, {name: inputs[name] for name in self.input_names})[0]  # (B, L, T)
        emissions = logits[:, 1:].astype(np.float32, copy=False)  # [CLS] dropped: characters are a prefix of each row
        lengths = inputs["attention_mask"].sum(1) - 2
        mask = np.arange(emissions.shape[1])[None, :] < lengths[:, None]
        shifted = np.exp(emissions - emissions.max(-1, keepdims=True))
        probabilities = shifted / shifted.sum(-1, keepdims=True)
        tags = viterbi(emissions, mask, *self.crf) if self.crf is not None else probabilities.argmax(-1)
        chosen = np.take_along_axis(probabilities, tags[:, :, None], axis=2)[:, :, 0]
        return tags, chosen
