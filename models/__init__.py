"""The bundled classifier: ``parkvakt.tflite``, its labels, hash and model card.

``models/train.py`` (TensorFlow, the ``train`` extra) produces them; the firmware loads the
model through ``firmware.pipeline.model.load_classifier``.
"""

from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent
MODEL_PATH = MODELS_DIR / "parkvakt.tflite"
HASH_PATH = MODELS_DIR / "parkvakt.tflite.sha256"
LABELS_PATH = MODELS_DIR / "labels.txt"
MODEL_CARD_PATH = MODELS_DIR / "MODEL_CARD.md"
