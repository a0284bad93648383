"""Training only the top layers of a sentence-transformers BERT model, over cached activations of
its frozen lower layers.

The lower layers of a small encoder carry general language; adapting to a help centre's
vocabulary happens mostly in the top ones. So the texts are run once through the embeddings and
the lower layers (no gradients), their token states are kept, and each training step runs only
the top layers forward and backward. On 2 cores that is about a quarter of the cost of tuning
the whole model, with the same ranking quality on our evaluation (README, "The embedding
model"). The model object is restored to its full shape after training, so it saves and loads
as an ordinary sentence-transformers model.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

import torch


class _GivenStates(torch.nn.Module):
    """Stands in for BERT's embedding layer: hands the cached token states straight on."""

    def forward(self, input_ids: Any = None, inputs_embeds: Any = None, **_: Any) -> Any:
        return inputs_embeds


class TopLayerTrainer:
    """Cache lower-layer token states for a set of texts, then embed any of them through the
    trainable top layers (mean pooling and L2 normalisation, as all-MiniLM-L6-v2 does)."""

    def __init__(self, model: Any, frozen_layers: int) -> None:
        self._model = model
        self._bert = model[0].auto_model
        self._layers = self._bert.encoder.layer
        if not 0 < frozen_layers < len(self._layers):
            raise ValueError(f"frozen_layers must be between 1 and {len(self._layers) - 1}")
        self.frozen_layers = frozen_layers
        self._states: dict[str, torch.Tensor] = {}

    def _tokenise(self, texts: list[str]) -> dict[str, torch.Tensor]:
        module = self._model[0]
        features = module.preprocess(texts) if hasattr(module, "preprocess") else module.tokenize(texts)
        return dict(features)

    def cache(self, texts: Iterable[str], *, batch_size: int = 128, progress: Any = None) -> None:
        """Run each text once through the embeddings and the frozen lower layers."""
        pending = sorted(set(texts) - self._states.keys())
        self._bert.eval()
        self._bert.encoder.layer = self._layers[: self.frozen_layers]
        try:
            with torch.no_grad():
                for start in range(0, len(pending), batch_size):
                    chunk = pending[start : start + batch_size]
                    features = self._tokenise(chunk)
                    states = self._bert(
                        input_ids=features["input_ids"],
                        attention_mask=features["attention_mask"],
                        token_type_ids=features.get("token_type_ids"),
                    ).last_hidden_state
                    for text, state, mask in zip(chunk, states, features["attention_mask"], strict=True):
                        self._states[text] = state[: int(mask.sum())].clone()
                    if progress is not None:
                        progress.update(len(chunk))
        finally:
            self._bert.encoder.layer = self._layers

    def trainable_parameters(self) -> list[torch.nn.Parameter]:
        return [p for layer in self._layers[self.frozen_layers :] for p in layer.parameters()]

    @contextlib.contextmanager
    def training(self) -> Iterator[None]:
        """Within this block the model runs only its top layers, on cached states; afterwards it
        is whole again (and in eval mode)."""
        embeddings = self._bert.embeddings
        trainable = {id(p) for p in self.trainable_parameters()}
        frozen = [p for p in self._bert.parameters() if id(p) not in trainable]
        for p in frozen:
            p.requires_grad_(False)
        self._bert.encoder.layer = self._layers[self.frozen_layers :]
        self._bert.embeddings = _GivenStates()
        self._bert.train()
        try:
            yield
        finally:
            self._bert.eval()
            self._bert.embeddings = embeddings
            self._bert.encoder.layer = self._layers
            for p in frozen:
                p.requires_grad_(True)

    def embed(self, texts: list[str]) -> torch.Tensor:
        """Normalised sentence embeddings through the top layers (inside `training()`)."""
        states = [self._states[t] for t in texts]
        longest = max(s.shape[0] for s in states)
        hidden = torch.zeros(len(states), longest, states[0].shape[1])
        mask = torch.zeros(len(states), longest, dtype=torch.long)
        for i, state in enumerate(states):
            hidden[i, : state.shape[0]] = state
            mask[i, : state.shape[0]] = 1
        tokens = self._bert(inputs_embeds=hidden, attention_mask=mask).last_hidden_state
        weights = mask.unsqueeze(-1).to(tokens.dtype)
        pooled = (tokens * weights).sum(dim=1) / weights.sum(dim=1)
        return torch.nn.functional.normalize(pooled, dim=-1)
