"""The emission model (BERT and its tag head, lexicon flags included) as ONNX, for CPU serving.

`export_onnx` writes `model.onnx` beside the weights and, with `int8`, `model.int8.onnx`
(ONNX Runtime's dynamic quantisation: int8 weights, activations quantised on the fly). The
CRF is not in the graph: its Viterbi decode stays in `Tagger._forward`, on the logits the
session returns, so both runtimes decode the same way.
"""

from __future__ import annotations

import logging
import tempfile
import warnings
from pathlib import Path

import torch
from torch import nn

from training.errors import XiezuoError
from training.modeling import load_trained

ONNX_FILES = {"onnx": "model.onnx", "onnx-int8": "model.int8.onnx"}
OPSET = 18


class Emissions(nn.Module):
    """Logits (B, L, T) from the model's inputs; the traced graph of `model.forward`."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, lexicon_flags: torch.Tensor | None = None
    ) -> torch.Tensor:
        extra = {"lexicon_flags": lexicon_flags} if lexicon_flags is not None else {}
        return self.model(input_ids=input_ids, attention_mask=attention_mask, **extra).logits


def export_onnx(model_dir: Path, int8: bool = False) -> list[Path]:
    """Write model.onnx (and model.int8.onnx) into `model_dir`; the paths written."""
    _, model = load_trained(model_dir)
    model.eval()
    names = ["input_ids", "attention_mask"] + (
        ["lexicon_flags"] if getattr(model.config, "lexicon_features", 0) else []
    )
    example = tuple(torch.ones((2, 8), dtype=torch.long) for _ in names)  # shapes only; batch and length stay dynamic
    batch, length = torch.export.Dim("batch"), torch.export.Dim("length", max=model.config.max_position_embeddings)
    target = model_dir / ONNX_FILES["onnx"]
    exporter_log = logging.getLogger("torch.onnx")
    level = exporter_log.level
    exporter_log.setLevel(logging.ERROR)
    # The exporter's notes on its own internals (no torchvision, axis names) are nothing a user can act on.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Emissions(model).eval(),
                example,
                target,
                input_names=names,
                output_names=["logits"],
                opset_version=OPSET,
                dynamic_shapes={name: {0: batch, 1: length} for name in names},
                dynamo=True,
                external_data=False,
                verbose=False,
            )
    finally:
        exporter_log.setLevel(level)
    written = [target]
    if int8:
        written.append(quantise(target, model_dir / ONNX_FILES["onnx-int8"]))
    return written


def quantise(source: Path, target: Path) -> Path:
    """Dynamic int8 quantisation of `source` (weights int8 once, activations per batch)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process

    with tempfile.TemporaryDirectory() as scratch:
        prepared = Path(scratch) / "prepared.onnx"
        # Symbolic shape inference cannot follow the dynamic length through the attention mask; ONNX's own suffices.
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        quantize_dynamic(str(prepared), str(target), weight_type=QuantType.QInt8)
    return target


def onnx_file(model_dir: Path, runtime: str) -> Path:
    """The exported file `runtime` (onnx or onnx-int8) runs, which must exist."""
    if runtime not in ONNX_FILES:
        raise XiezuoError(f"runtime must be torch, {' or '.join(ONNX_FILES)}, not {runtime!r}")
    path = model_dir / ONNX_FILES[runtime]
    if not path.is_file():
        flag = " --int8" if runtime == "onnx-int8" else ""
        raise XiezuoError(f"{path}: no ONNX model; write it with `xiezuo-ner export --model {model_dir} --onnx{flag}`")
    return path


def load_session(model_dir: Path, runtime: str):
    """An ONNX Runtime session on the exported file for `runtime` (onnx or onnx-int8), threads as torch's."""
    import onnxruntime

    path = onnx_file(model_dir, runtime)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()  # --workers sets it per process, so N x threads <= cores
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
