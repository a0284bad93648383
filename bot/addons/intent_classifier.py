"""Logistic-regression intent classifier with tempered class weights.

Rasa's own LogisticRegressionClassifier trains in seconds, but always weighs classes as
"balanced": every intent counts as much as `ask_question`, which holds most of the examples.
That makes a frustrated question ("I'm still waiting for my transfer") look like a complaint,
and a complaint hands the conversation to a person. Here the balancing is tempered: each class
weighs (n / (k * n_class)) ** class_weight_power, so 1.0 is Rasa's "balanced", 0.0 is no
balancing, and the default 0.5 sits between. `C` is the inverse regularisation strength.
"""

from collections import Counter
from typing import Any, Dict, Text

from sklearn.linear_model import LogisticRegression

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.training_data.training_data import TrainingData


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TemperedLogisticRegressionClassifier(LogisticRegressionClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **LogisticRegressionClassifier.get_default_config(),
            "class_weight_power": 0.5,
            "C": 1.0,
        }

    def _classifier(self, class_weight: Any) -> LogisticRegression:
        return LogisticRegression(
            solver=self.config["solver"],
            max_iter=self.config["max_iter"],
            class_weight=class_weight,
            C=self.config["C"],
            tol=self.config["tol"],
            random_state=self.config["random_state"],
            fit_intercept=True,
        )

    def train(self, training_data: TrainingData) -> Resource:
        X, y = self._create_training_matrix(training_data)
        if X.shape[0] == 0:
            return self._resource
        counts = Counter(y)
        power = float(self.config["class_weight_power"])
        weights = {c: (len(y) / (len(counts) * n)) ** power for c, n in counts.items()}
        self.clf = self._classifier(weights)
        self.clf.fit(X, y)
        self.persist()
        return self._resource
