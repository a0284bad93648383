"""The ONNX encoder gives the torch encoder's vectors, exports once per model, and says plainly
why it cannot run."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from kb_service import Settings
from kb_service.app import build_embedder
from kb_service.embedder import BULK_TEXTS, SentenceTransformerEmbedder, bundled_model_path
from kb_service.onnx_encoder import TOLERANCE, EncoderUnavailable, OnnxEmbedder
from tools.services import ROOT

# --- without a model ----------------------------------------------------------------------------


def test_a_folder_without_a_model_is_named(tmp_path: Path) -> None:
    embedder = OnnxEmbedder(tmp_path / "nothing-here", cache_dir=tmp_path / "onnx")
    with pytest.raises(FileNotFoundError, match="nothing-here"):
        embedder.warm_up()


def test_missing_onnxruntime_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails as if not installed
    embedder = OnnxEmbedder(bundled_model_path(), cache_dir=tmp_path / "onnx")
    with pytest.raises(EncoderUnavailable, match=r"needs onnxruntime.*KB_ENCODER=torch"):
        embedder.warm_up()
    assert not (tmp_path / "onnx").exists()  # nothing exported on the way


def test_encode_before_warm_up_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="warm_up"):
        OnnxEmbedder(cache_dir=tmp_path).encode(["hello"])


def test_the_setting_chooses_the_encoder(tmp_path: Path) -> None:
    onnx = build_embedder(Settings(data_dir=tmp_path / "data"))
    assert isinstance(onnx, OnnxEmbedder)
    assert onnx.cache_dir == tmp_path / "data" / "onnx"
    assert isinstance(build_embedder(Settings(encoder="torch")), SentenceTransformerEmbedder)


# --- small models made here: the export takes a second, loading torch a few more ----------------


def tiny_model(folder: Path, pooling: str) -> Path:
    """A randomly initialised two-layer BERT with the bundled model's tokenizer, saved as a
    sentence-transformers folder."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import AutoTokenizer, BertConfig, BertModel

    tokenizer = AutoTokenizer.from_pretrained(str(bundled_model_path()))
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    BertModel(config).save_pretrained(folder / "hf")
    tokenizer.save_pretrained(folder / "hf")
    modules = [
        Transformer(str(folder / "hf"), max_seq_length=64),
        Pooling(32, pooling_mode=pooling),
        Normalize(),
    ]
    SentenceTransformer(modules=modules, device="cpu").save(str(folder / "model"))
    return folder / "model"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_model(tmp_path_factory.mktemp("tiny"), "mean")


TEXTS = [f"question {i} about my card {'and the post ' * (i % 40)}" for i in range(BULK_TEXTS)] + [
    "word " * 200  # longer than the model's 64 tokens: truncated alike
]


@pytest.mark.slow
def test_a_small_model_exported_gives_the_torch_vectors(tiny: Path, tmp_path: Path) -> None:
    onnx = OnnxEmbedder(tiny, cache_dir=tmp_path / "onnx")
    onnx.warm_up()
    torch_embedder = SentenceTransformerEmbedder(tiny)
    torch_embedder.warm_up()
    assert (onnx.name, onnx.dimension) == (torch_embedder.name, 32)
    bulk = onnx.encode(TEXTS)  # every core, batches sorted by length
    singles = np.concatenate([onnx.encode([t]) for t in TEXTS[:5]])
    expected = torch_embedder.encode(TEXTS)
    assert bulk.dtype == np.float32
    assert np.abs(bulk - expected).max() < TOLERANCE
    assert np.abs(singles - expected[:5]).max() < TOLERANCE


@pytest.mark.slow
def test_the_export_is_reused_and_redone_only_when_unreadable(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kb_service import onnx_encoder

    exports: list[Path] = []
    real_export = onnx_encoder.export

    def counting_export(model_path: Path, entry: Path) -> None:
        exports.append(entry)
        real_export(model_path, entry)

    monkeypatch.setattr(onnx_encoder, "export", counting_export)
    cache = tmp_path / "onnx"
    first = OnnxEmbedder(tiny, cache_dir=cache)
    first.warm_up()
    second = OnnxEmbedder(tiny, cache_dir=cache)  # a restart
    second.warm_up()
    assert len(exports) == 1
    np.testing.assert_array_equal(first.encode(["my card"]), second.encode(["my card"]))
    assert [p.name for p in cache.iterdir()] == [first.name]  # no staging folder left behind

    (cache / first.name / "encoder.json").write_text("{")  # a broken entry
    OnnxEmbedder(tiny, cache_dir=cache).warm_up()
    assert len(exports) == 2


@pytest.mark.slow
def test_an_export_of_another_model_replaces_the_old_one(tiny: Path, tmp_path: Path) -> None:
    cache = tmp_path / "onnx"
    (cache / "older-model@0123456789abcdef").mkdir(parents=True)
    embedder = OnnxEmbedder(tiny, cache_dir=cache)
    embedder.warm_up()
    assert [p.name for p in cache.iterdir()] == [embedder.name]


@pytest.mark.slow
def test_a_model_pooled_otherwise_is_refused_plainly(tmp_path: Path) -> None:
    model = tiny_model(tmp_path, "cls")
    with pytest.raises(EncoderUnavailable, match=r"mean Pooling.*'cls'.*KB_ENCODER=torch"):
        OnnxEmbedder(model, cache_dir=tmp_path / "onnx").warm_up()
    assert not any((tmp_path / "onnx").iterdir())


# --- the real model ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_texts() -> list[str]:
    """A few hundred texts of every length from the help centre: titles, questions, body lines."""
    texts: list[str] = []
    for path in sorted((ROOT / "knowledge").glob("*.md"))[:30]:
        texts.extend(line.strip(" -#\"'") for line in path.read_text().splitlines() if len(line.strip()) > 3)
    return texts[:400]


@pytest.fixture(scope="module")
def real_onnx(tmp_path_factory: pytest.TempPathFactory) -> OnnxEmbedder:
    embedder = OnnxEmbedder(cache_dir=tmp_path_factory.mktemp("onnx"))
    embedder.warm_up()
    return embedder


@pytest.mark.slow
def test_the_bundled_model_gives_the_torch_vectors(real_onnx: OnnxEmbedder, real_texts: list[str]) -> None:
    torch_embedder = SentenceTransformerEmbedder()
    torch_embedder.warm_up()
    assert len(real_texts) >= BULK_TEXTS
    assert (real_onnx.name, real_onnx.dimension) == (torch_embedder.name, 384)  # one saved index serves both
    expected = torch_embedder.encode(real_texts)
    assert np.abs(real_onnx.encode(real_texts) - expected).max() < TOLERANCE
    singles = np.concatenate([real_onnx.encode([t]) for t in real_texts[:40]])
    assert np.abs(singles - expected[:40]).max() < TOLERANCE
