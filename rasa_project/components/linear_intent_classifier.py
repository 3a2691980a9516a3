"""Intent classifier on the sentence-level sparse features: a linear model on scaled counts.

A drop-in for Rasa's LogisticRegressionClassifier (same features, same output: ``intent`` and
``intent_ranking``) that trains in well under a minute at CLINC150's size (see
:mod:`components.linear_model`). Options: ``head`` (``svm_softmax``, the default: linear SVMs and
a softmax over their margins with a fitted temperature; ``softmax``: a multinomial logistic
regression; ``platt``: linear SVMs and a sigmoid per intent), ``C`` (the SVMs'
regularisation), ``softmax_C`` (the logistic regression's), ``calibration_folds`` (out-of-fold
SVM scores for the temperature and the sigmoids), ``normalise_floor`` (``platt``: the sigmoids
are divided by their sum, or by this floor when the sum is smaller; ``svm_softmax``: the
softmax is multiplied by the sigmoids' sum over this floor when that is below one; 0 always
sums to one, 0.3 keeps off-topic messages under the fallback threshold), ``max_iter``,
``sublinear_tf``, ``dense_weight`` (the dense sentence features' scale next to the unit-length
sparse ones, e.g. :mod:`components.sentence_featurizer`'s embeddings), ``random_state``,
``ranking_length``.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers import LABEL_RANKING_LENGTH
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.constants import RANKING_LENGTH
from scipy.sparse import csr_matrix, hstack, vstack

from components.linear_model import CalibratedLinearModel, scale_features

logger = logging.getLogger(__name__)
MODEL_FILE = "linear_intent_model.npz"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(IntentClassifier, GraphComponent):
    """A linear model over the featurizers' sentence features (see the module docstring)."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    @staticmethod
    def required_packages() -> list[str]:
        return ["sklearn"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "head": "svm_softmax",
            "softmax_C": 20.0,
            "C": 0.5,
            "calibration_folds": 3,
            "max_iter": 2000,
            "normalise_floor": 0.3,
            "sublinear_tf": True,
            "dense_weight": 1.0,
            "random_state": 42,
            RANKING_LENGTH: LABEL_RANKING_LENGTH,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: CalibratedLinearModel | None = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        return cls(config, model_storage, resource)

    def _features(self, messages: list[Message]) -> csr_matrix:
        """The sparse sentence features scaled (:func:`scale_features`), then the dense ones
        (sentence embeddings, already unit length) times ``dense_weight``: the log scaling
        and the row normalisation are for counts, not for embeddings."""
        sparse_rows, dense_rows = [], []
        for message in messages:
            # The second element of each pair is the sentence-level feature.
            sparse = message.get_sparse_features(attribute=TEXT)[1]
            dense = message.get_dense_features(attribute=TEXT)[1]
            sparse_rows.append(csr_matrix(sparse.features if sparse else []))
            dense_rows.append(np.asarray(dense.features, dtype=np.float64) if dense else None)
        features = scale_features(vstack(sparse_rows).tocsr(), self.config["sublinear_tf"])
        width = max((row.shape[-1] for row in dense_rows if row is not None), default=0)
        if not width:
            return features
        dense_matrix = np.zeros((len(messages), width))
        for index, row in enumerate(dense_rows):
            if row is not None:
                dense_matrix[index, : row.shape[-1]] = row.reshape(-1)
        weight = float(self.config["dense_weight"])
        return hstack([features, csr_matrix(dense_matrix * weight)]).tocsr()

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if len({e.get(INTENT) for e in examples}) < 2:
            logger.debug("LinearIntentClassifier: fewer than two intents; not trained")
            return self._resource
        self.model = CalibratedLinearModel.fit(
            self._features(examples),
            [e.get(INTENT) for e in examples],
            head=str(self.config["head"]),
            c=float(self.config["C"]),
            softmax_c=float(self.config["softmax_C"]),
            folds=int(self.config["calibration_folds"]),
            random_state=int(self.config["random_state"]),
            max_iter=int(self.config["max_iter"]),
        )
        with self._model_storage.write_to(self._resource) as directory:
            self.model.save(directory / MODEL_FILE)
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        if self.model is None or not messages:
            return messages
        probabilities = self.model.predict_proba(
            self._features(messages), float(self.config["normalise_floor"])
        )
        names = [str(name) for name in self.model.classes]
        limit = int(self.config[RANKING_LENGTH])
        for message, row in zip(messages, probabilities, strict=True):
            ranking = sorted(
                ({"name": n, "confidence": float(p)} for n, p in zip(names, row, strict=True)),
                key=lambda entry: -float(entry["confidence"]),
            )
            message.set("intent", ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking[:limit] if limit > 0 else ranking, True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                model = CalibratedLinearModel.load(directory / MODEL_FILE)
        except (ValueError, OSError):
            logger.debug("LinearIntentClassifier: no trained model in %s", resource.name)
            model = None
        return cls(config, model_storage, resource, model)
