"""Where the trained classifier comes from: a shipped artefact, the user cache, or training.

A model is keyed by a hash of the labelled data files, the feature/training
configuration and MODEL_CODE_VERSION (bump it when features.py or cues.py change
what a feature means). Lookup order, first match wins:

1. ``src/kefu/assist/models/classifier.bin`` written by ``python -m kefu.assist
   train`` (for packaged installs), when its key matches;
2. ``$KEFU_DATA_DIR/assist/classifier-<key>.bin`` or
   ``~/.cache/kefu/assist/classifier-<key>.bin``;
3. train from the repo data (a few seconds) and store the result in (2).

Nothing is ever downloaded.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import asdict
from pathlib import Path

from kefu.assist import dataset
from kefu.assist.classifier import Classifier, TrainingConfig, train
from kefu.assist.cues import CUES_DIR

MODEL_CODE_VERSION = "9"
SHIPPED_MODEL = Path(__file__).parent / "models" / "classifier.bin"

_lock = threading.Lock()
_current: dict[str, Classifier] = {}


def cache_dir() -> Path:
    base = os.environ.get("KEFU_DATA_DIR")
    if base:
        return Path(base) / "assist"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kefu" / "assist"


def model_key(config: TrainingConfig = TrainingConfig()) -> str:
    """The hash that names a model: data files, lexicon, configuration, code version."""
    files = dataset.message_files() + sorted(CUES_DIR.glob("*"))
    digest = hashlib.sha1()
    digest.update(dataset.files_digest(files).encode())
    digest.update(repr(sorted(asdict(config).items())).encode())
    digest.update(MODEL_CODE_VERSION.encode())
    return digest.hexdigest()[:16]


def train_default(config: TrainingConfig = TrainingConfig()) -> Classifier:
    """Train on every labelled message in the repo (train and dev: for shipping)."""
    return train(dataset.load_messages("all"), config, key=model_key(config))


def _from_disk(key: str) -> Classifier | None:
    candidates = (SHIPPED_MODEL, cache_dir() / f"classifier-{key}.bin")
    for path in candidates:
        if path.is_file():
            try:
                if Classifier.stored_key(path) == key:
                    return Classifier.load(path)
            except (OSError, ValueError, KeyError):
                continue  # a damaged or foreign file: fall through to the next source
    return None


def default_classifier() -> Classifier:
    """The classifier analyze() uses, loaded once per process (thread-safe)."""
    classifier = _current.get("model")
    if classifier is not None:
        return classifier
    with _lock:
        if "model" not in _current:
            key = model_key()
            loaded = _from_disk(key)
            if loaded is None:
                loaded = train_default()
                try:
                    loaded.save(cache_dir() / f"classifier-{key}.bin")
                except OSError:
                    pass  # a read-only home still gets a working (in-memory) model
            _current["model"] = loaded
        return _current["model"]


def use_classifier(classifier: Classifier | None) -> None:
    """Make analyze() use this classifier (tests, experiments); None reloads the default."""
    with _lock:
        _current.clear()
        if classifier is not None:
            _current["model"] = classifier
