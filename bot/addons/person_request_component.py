"""The Rasa pipeline step that turns a message asking for a person, or complaining, into the
`request_human` or `complain` intent whatever else it is about (see person_request.py).

Runs after the FallbackClassifier, so a request hidden in a question ("my transfer is late,
can I talk to someone?") or typed too oddly for the classifier ("tlk 2 sum1") still reaches a
person. The intent the classifier chose stays in `intent_ranking`, and the message carries
`person_request` with what was detected, for the transcript.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Dict, FrozenSet, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from addons.person_request import COMPLAINT, detect, spelled_words

INTENT_FOR = {"person": "request_human", COMPLAINT: "complain"}
HANDOVER_INTENTS = set(INTENT_FOR.values())
KNOWN_WORDS_FILE = "known_words.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class PersonRequestDetector(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # A word seen in at least this many training examples is a real word, never a typo to
        # correct ("wait" is not "want"); rarer ones may be customers' typos.
        return {"known_word_min_examples": 3, "confidence": 0.95}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        known: Optional[FrozenSet[str]] = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._known: FrozenSet[str] = known or frozenset()

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> PersonRequestDetector:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        counts: Counter[str] = Counter()
        for example in training_data.intent_examples:
            # As typed: a corrected count would never learn that "taking" is a word.
            counts.update(set(spelled_words(example.get(TEXT) or "")))
        minimum = int(self._config["known_word_min_examples"])
        self._known = frozenset(w for w, n in counts.items() if n >= minimum)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / KNOWN_WORDS_FILE).write_text(json.dumps(sorted(self._known)), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> PersonRequestDetector:
        try:
            with model_storage.read_from(resource) as directory:
                known = frozenset(json.loads((directory / KNOWN_WORDS_FILE).read_text(encoding="utf-8")))
        except (ValueError, FileNotFoundError):
            known = frozenset()
        return cls(config, model_storage, resource, known)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            intent = message.get(INTENT) or {}
            if not text or text.startswith("/") or intent.get("name") in HANDOVER_INTENTS:
                continue
            found = detect(text, self._known)
            if found is None:
                continue
            message.set(
                "person_request", {"detected": found, "classified_as": intent.get("name")}, add_to_output=True
            )
            message.set(
                INTENT,
                {"name": INTENT_FOR[found], "confidence": float(self._config["confidence"])},
                add_to_output=True,
            )
            ranking = message.get(INTENT_RANKING_KEY) or []
            message.set(
                INTENT_RANKING_KEY,
                [{"name": INTENT_FOR[found], "confidence": float(self._config["confidence"])}]
                + [r for r in ranking if r.get("name") != INTENT_FOR[found]],
                add_to_output=True,
            )
        return messages
