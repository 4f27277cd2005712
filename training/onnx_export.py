"""The emission model (BERT and its tag head, lexicon flags included) as ONNX, for CPU serving.

`export_onnx` writes `model.onnx` beside the weights and, with `int8`, `model.int8.onnx`
(ONNX Runtime's dynamic quantisation: int8 weights, activations quantised on the fly). Each is
written aside and renamed into place, and carries in its metadata the sha256 of the weights it
was made from and the CRF's scores: the CRF is not in the graph, training/onnx_runtime.py decodes
it with a NumPy Viterbi (training/viterbi.py), so tagging with ONNX needs no torch.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import warnings
from pathlib import Path

import torch
from torch import nn

from training.modeling import load_trained
from training.onnx_runtime import CRF_KEY, DIGEST_KEY, ONNX_FILES
from training.shipped import weights_digest

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
    """Write model.onnx (and model.int8.onnx) into `model_dir`, each aside then renamed; the paths written."""
    digest = weights_digest(model_dir)
    _, model = load_trained(model_dir)
    model.eval()
    metadata = {DIGEST_KEY: digest}
    crf = getattr(model, "crf", None) if getattr(model.config, "use_crf", False) else None
    if crf is not None:
        metadata[CRF_KEY] = json.dumps({name: getattr(crf, name).tolist() for name in ("start", "end", "transitions")})
    names = ["input_ids", "attention_mask"] + (
        ["lexicon_flags"] if getattr(model.config, "lexicon_features", 0) else []
    )
    example = tuple(torch.ones((2, 8), dtype=torch.long) for _ in names)  # shapes only; batch and length stay dynamic
    batch, length = torch.export.Dim("batch"), torch.export.Dim("length", max=model.config.max_position_embeddings)
    with tempfile.TemporaryDirectory(prefix=".onnx-export.", dir=model_dir) as scratch:
        graph = Path(scratch) / ONNX_FILES["onnx"]
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
                    graph,
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
        finished = {"onnx": _with_metadata(graph, Path(scratch) / "fp32.onnx", metadata)}
        if int8:
            quantised = quantise(graph, Path(scratch) / "int8.raw.onnx")
            finished["onnx-int8"] = _with_metadata(quantised, Path(scratch) / "int8.onnx", metadata)
        written = []
        for runtime, path in finished.items():  # same folder, same file system: each rename is atomic
            target = model_dir / ONNX_FILES[runtime]
            os.replace(path, target)
            written.append(target)
    return written


def _with_metadata(source: Path, target: Path, metadata: dict[str, str]) -> Path:
    """`source` with `metadata` set in its model metadata, written (and fsynced) to `target`."""
    import onnx

    model = onnx.load(str(source))
    present = {prop.key: prop for prop in model.metadata_props}
    for key, value in metadata.items():
        prop = present.get(key) or model.metadata_props.add()
        prop.key, prop.value = key, value
    onnx.save(model, str(target))
    with target.open("rb") as stream:
        os.fsync(stream.fileno())
    return target


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
