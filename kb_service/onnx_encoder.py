"""The same sentence embeddings through ONNX Runtime: the model exported once, then run without torch."""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from kb_service.embedder import (
    BULK_TEXTS,
    Vectors,
    bulk_threads,
    bundled_model_path,
    model_identity,
    pin_faiss,
    stay_offline,
)

log = logging.getLogger(__name__)

# Bumped whenever what export() writes changes, so an older cache entry is exported again.
EXPORT_FORMAT = 1
# The exported encoder must give the torch model's vectors to within this, or the saved index
# (keyed by the model's identity, shared by both encoders) would no longer fit it.
TOLERANCE = 1e-4
# Texts of several lengths, so the check runs through padding as well as a single text.
CHECK_TEXTS = [
    "card",
    "where is my new card?",
    "I was charged twice for the same coffee this morning, can you refund one of the payments?",
    "Exchange rates: we use the interbank rate plus a small markup at weekends. " * 5,
]
RECIPE = "encoder.json"
TOKENIZER_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class EncoderUnavailable(RuntimeError):
    """The ONNX encoder cannot run here (a package is missing, or the model does not fit it)."""


class OnnxEmbedder:
    """A sentence-transformers model of the shape Transformer -> mean Pooling -> Normalize, run
    by ONNX Runtime. warm_up() exports the model to `cache_dir/<model identity>/` the first time
    (torch.onnx, with pooling and normalisation inside the graph) and loads it from there after.
    Its vectors equal the torch embedder's to within TOLERANCE, checked at export, so it has the
    same `name` and the saved index stays valid when the encoder is switched."""

    def __init__(
        self, model_path: Path | None = None, *, cache_dir: Path, threads: int = 1, batch_size: int = 64
    ) -> None:
        self.model_path = model_path or bundled_model_path()
        self.cache_dir = cache_dir
        self.name = ""  # set by warm_up(): the model folder plus a hash of its weights
        self.dimension = 0
        self._threads = threads
        self._batch_size = batch_size
        self._session: Any = None
        self._tokenizer: Any = None
        # A fast tokenizer is one Rust object that request threads would otherwise share; a call
        # takes a tenth of a millisecond, so taking turns costs nothing measurable.
        self._tokenizer_lock = threading.Lock()
        self._input_names: list[str] = []
        self._max_length = 0
        self._model_file = Path()

    def warm_up(self) -> None:
        if self._session is not None:
            return
        if not (self.model_path / "config.json").exists():
            raise FileNotFoundError(f"no sentence-transformers model in {self.model_path}")
        _require_onnxruntime()
        # As for the torch embedder: nothing in this process may reach for a model hub.
        stay_offline()
        self.name = model_identity(self.model_path)
        entry = self.cache_dir / self.name
        recipe = _read_recipe(entry)
        if recipe is None:
            export(self.model_path, entry)
            recipe = _read_recipe(entry)
            if recipe is None:
                raise EncoderUnavailable(f"the ONNX export in {entry} cannot be read back")
        else:
            log.info("reusing the ONNX export in %s", entry)
        from transformers import AutoTokenizer

        self._tokenizer = AutoTokenizer.from_pretrained(str(entry))
        self._input_names = list(recipe["inputs"])
        self._max_length = int(recipe["max_seq_length"])
        self.dimension = int(recipe["dimension"])
        self._model_file = entry / "model.onnx"
        self._session = _session(self._model_file, self._threads)
        self.encode(["warm up"])  # first call pays for lazy initialisation
        log.info("loaded ONNX encoder for %s (%d dimensions)", self.model_path, self.dimension)

    def encode(self, texts: list[str]) -> Vectors:
        if self._session is None:
            raise RuntimeError("warm_up() must be called before encode()")
        pin_faiss()
        # A bulk job gets every core through a session of its own, dropped afterwards: a
        # query keeps to `threads` so parallel requests share the cores instead.
        session = self._session
        if len(texts) >= BULK_TEXTS:
            session = _session(self._model_file, bulk_threads(self._threads))
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        # Longest first, as sentence-transformers does, so each batch pads little.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(texts), self._batch_size):
            rows = order[start : start + self._batch_size]
            with self._tokenizer_lock:
                features = self._tokenizer(
                    [texts[i] for i in rows],
                    padding=True,
                    truncation="longest_first",
                    max_length=self._max_length,
                    return_tensors="np",
                )
            feed = {name: np.asarray(features[name], dtype=np.int64) for name in self._input_names}
            out[rows] = session.run(None, feed)[0]
        return out


def _require_onnxruntime() -> None:
    try:
        import onnxruntime  # noqa: F401
    except ImportError as e:
        raise EncoderUnavailable(
            "KB_ENCODER=onnx needs onnxruntime, which is not installed: install requirements/svc.txt, "
            "or set KB_ENCODER=torch"
        ) from e


def _session(path: Path, threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def _read_recipe(entry: Path) -> dict[str, Any] | None:
    """The cache entry's recipe when the entry is whole and of this export format, else None."""
    try:
        recipe: dict[str, Any] = json.loads((entry / RECIPE).read_text())
    except (OSError, ValueError):
        return None
    if recipe.get("format") != EXPORT_FORMAT or not (entry / "model.onnx").is_file():
        return None
    return recipe


def export(model_path: Path, entry: Path) -> None:
    """Export the model to `entry` (model.onnx, its tokenizer, encoder.json), checked against the
    torch model first. The folder is filled beside the cache and renamed into place, so another
    process never sees half of it; when two export at once, the first rename wins."""
    try:
        import onnx  # noqa: F401 - torch.onnx needs it to write the file
    except ImportError as e:
        raise EncoderUnavailable(
            "exporting the model to ONNX needs the onnx package: install requirements/svc.txt, "
            "or set KB_ENCODER=torch"
        ) from e
    entry.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=entry.parent, prefix=f".{entry.name}."))
    try:
        _export_into(model_path, staging)
        if entry.exists() and _read_recipe(entry) is None:  # an older format, or broken
            shutil.rmtree(entry, ignore_errors=True)
        try:
            os.replace(staging, entry)
        except OSError:
            log.info("another process exported %s first; using its copy", entry.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    # One data folder holds the index of one model, so older exports are of no further use.
    for other in entry.parent.iterdir():
        if other != entry and not other.name.startswith("."):
            shutil.rmtree(other, ignore_errors=True)


def _export_into(model_path: Path, folder: Path) -> None:
    import torch
    from sentence_transformers import SentenceTransformer

    log.info("exporting %s to ONNX (once per model; a few seconds)", model_path)
    model = SentenceTransformer(str(model_path), device="cpu")
    model.eval()
    transformer = _check_shape(model, model_path)
    tokenizer = transformer.tokenizer
    if model.max_seq_length is None:
        raise EncoderUnavailable(f"{model_path} sets no max_seq_length to truncate texts at")
    max_length = int(model.max_seq_length)

    def tokenize(texts: list[str], tensors: str) -> Any:
        return tokenizer(
            texts, padding=True, truncation="longest_first", max_length=max_length, return_tensors=tensors
        )

    example = tokenize(CHECK_TEXTS[:2], "pt")  # two lengths: the traced graph sees padding
    inputs = [name for name in TOKENIZER_INPUTS if name in example]
    graph = _pooled_encoder(torch, transformer.auto_model, inputs).eval()
    with torch.no_grad(), warnings.catch_warnings():
        # The TorchScript exporter is deprecated in favour of the dynamo one, which needs two
        # more packages and takes 6 s where this takes 1 s for the same graph and vectors;
        # torch is pinned, and the export is checked below.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)  # type: ignore[attr-defined]
        # A general caution about negative indices; the check below is the proof for this graph.
        warnings.filterwarnings("ignore", message="Exporting aten::index operator")
        torch.onnx.export(
            graph,
            tuple(example[name] for name in inputs),
            str(folder / "model.onnx"),
            input_names=inputs,
            output_names=["sentence_embedding"],
            dynamic_axes={name: {0: "batch", 1: "sequence"} for name in inputs}
            | {"sentence_embedding": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    session = _session(folder / "model.onnx", 1)
    batches = (CHECK_TEXTS, CHECK_TEXTS[1:2])  # padded, and alone
    got = np.concatenate([session.run(None, {n: tokenize(b, "np")[n] for n in inputs})[0] for b in batches])
    expected = np.concatenate(
        [
            model.encode(b, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
            for b in batches
        ]
    )
    diff = float(np.abs(got - expected).max())
    if diff > TOLERANCE:
        raise EncoderUnavailable(
            f"the ONNX export of {model_path} differs from the torch model by {diff:.2g} "
            f"(allowed {TOLERANCE}); set KB_ENCODER=torch"
        )
    tokenizer.save_pretrained(str(folder))
    recipe = {
        "format": EXPORT_FORMAT,
        "model": model_identity(model_path),
        "inputs": inputs,
        "max_seq_length": max_length,
        "dimension": int(expected.shape[1]),
        "max_abs_diff_to_torch": diff,
        "torch": torch.__version__,
    }
    (folder / RECIPE).write_text(json.dumps(recipe, indent=2))
    log.info("exported %s to ONNX; largest difference to torch %.2g", model_path, diff)


def _check_shape(model: Any, model_path: Path) -> Any:
    """The model's modules must be those the exported graph reproduces."""
    kinds = [type(module).__name__ for module in model]
    pooling = model[1].get_config_dict() if len(kinds) > 1 else {}
    if (
        kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"])
        or pooling.get("pooling_mode") != "mean"
        or model.default_prompt_name
    ):
        raise EncoderUnavailable(
            f"the ONNX encoder reproduces Transformer -> mean Pooling -> Normalize; {model_path} is "
            f"{' -> '.join(kinds)} (pooling {pooling.get('pooling_mode')!r}): set KB_ENCODER=torch"
        )
    return model[0]


def _pooled_encoder(torch: Any, transformer: Any, inputs: list[str]) -> Any:
    """The transformer, then mean pooling over the attention mask and L2 normalisation, as
    sentence-transformers' Pooling and Normalize modules compute them."""

    class PooledEncoder(torch.nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, *tensors: Any) -> Any:
            features = dict(zip(inputs, tensors, strict=True))
            tokens = self.transformer(**features).last_hidden_state
            mask = features["attention_mask"].unsqueeze(-1).to(tokens.dtype)
            mean = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    return PooledEncoder()
