"""Training the top layers over cached lower-layer states: the shortcut computes what the whole
model computes, trains only the top, and leaves an ordinary model behind."""

from __future__ import annotations

import numpy as np
import pytest

from kb_service.embedder import bundled_model_path

pytestmark = pytest.mark.slow

TEXTS = ["where is my new card", "how do I change my PIN at a cash machine?", "exchange rate"]


@pytest.fixture
def model():  # type: ignore[no-untyped-def]
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(bundled_model_path()), device="cpu")


def test_cached_states_through_the_top_layers_equal_the_whole_model(model) -> None:  # type: ignore[no-untyped-def]
    import torch

    from kb_service.top_layers import TopLayerTrainer

    whole = model.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True)
    trainer = TopLayerTrainer(model, frozen_layers=4)
    trainer.cache(TEXTS)
    with trainer.training(), torch.no_grad():
        model.eval()  # no dropout, to compare exactly
        shortcut = trainer.embed(TEXTS).numpy()
    np.testing.assert_allclose(shortcut, whole, atol=1e-5)


def test_a_training_step_moves_only_the_top_layers_and_leaves_a_whole_model(model) -> None:  # type: ignore[no-untyped-def]
    import torch

    from kb_service.top_layers import TopLayerTrainer

    bert = model[0].auto_model
    before = {name: p.detach().clone() for name, p in bert.named_parameters()}
    trainer = TopLayerTrainer(model, frozen_layers=4)
    trainer.cache(TEXTS)
    optimiser = torch.optim.AdamW(trainer.trainable_parameters(), lr=1e-3)
    with trainer.training():
        vectors = trainer.embed(TEXTS)
        loss = torch.nn.functional.cross_entropy(vectors @ vectors.T * 20, torch.tensor([0, 1, 2]))
        loss.backward()  # type: ignore[no-untyped-call]
        optimiser.step()

    changed = {name for name, p in bert.named_parameters() if not torch.equal(p, before[name])}
    assert changed, "the top layers were not trained"
    assert all(name.startswith(("encoder.layer.4.", "encoder.layer.5.")) for name in changed), changed
    assert len(bert.encoder.layer) == 6
    assert all(p.requires_grad for p in bert.parameters())
    assert model.encode(["still works"]).shape == (1, 384)


def test_the_frozen_part_must_leave_something_to_train(model) -> None:  # type: ignore[no-untyped-def]
    from kb_service.top_layers import TopLayerTrainer

    for frozen in (0, 6):
        with pytest.raises(ValueError, match="frozen_layers"):
            TopLayerTrainer(model, frozen_layers=frozen)
