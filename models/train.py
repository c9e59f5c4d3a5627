"""Train, quantise and publish the bundled classifier (needs the ``train`` extra: TensorFlow CPU).

    python3 -m venv .venv-train && .venv-train/bin/pip install -e '.[train]'
    .venv-train/bin/python -m models.train            # writes models/parkvakt.tflite, .sha256, labels.txt,
                                                      # training-report.json and MODEL_CARD.md
    .venv-train/bin/python -m models.train --check    # retrain in a temporary folder, compare the hash
    .venv-train/bin/python -m models.train --card-only  # re-render MODEL_CARD.md from training-report.json

Data come from the parking-lot simulator (``models/dataset.py``): training seeds 0..899,
held-out seeds 900..999 for the metrics in the model card (the evaluation suite of ``parkvakt
eval`` uses seeds >= 1000, never seen here). Everything is seeded; TensorFlow runs with op
determinism on one thread, so a rerun with the same simulator code, TensorFlow version and CPU
reproduces the float weights, and hence the int8 model, bit for bit (``--check`` verifies it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("PYTHONHASHSEED", "0")

import numpy as np

from firmware.pipeline.model import LABELS, VERSION_METADATA_KEY, Classifier, load_classifier
from firmware.pipeline.patch import PATCH_SIZE, extract_patch
from models import MODEL_CARD_PATH, MODELS_DIR
from models.card import write_card
from models.dataset import (
    TRAIN_SEEDS,
    VALIDATION_SEEDS,
    Dataset,
    build_dataset,
    data_digest,
    describe_simulator,
    foreground_bbox,
    run_patches,
    runs,
)

MODEL_VERSION = "2026.11.0"
SEED = 20261121
EPOCHS = 24
TRAIN_RUNS_PER_SCENARIO = 14
HELD_OUT_RUNS_PER_SCENARIO = 7
BATCH = 128


def _tensorflow():  # type: ignore[no-untyped-def]
    import tensorflow as tf

    tf.keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    return tf


def build_model(tf):  # type: ignore[no-untyped-def]
    """Three small conv blocks and a small dense head: about 7 k parameters, ~15 KB as int8."""
    layers = tf.keras.layers
    inputs = tf.keras.Input(shape=(PATCH_SIZE, PATCH_SIZE, 1), name="patch")
    x = layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(32, activation="relu")(x)
    outputs = layers.Dense(len(LABELS), activation="softmax", name="probabilities")(x)
    return tf.keras.Model(inputs, outputs)


def class_weights(labels: np.ndarray) -> dict[int, float]:
    counts = np.bincount(labels, minlength=len(LABELS)).astype(np.float64)
    return {i: float(len(labels) / (len(LABELS) * max(c, 1.0))) for i, c in enumerate(counts)}


def train(tf, data: Dataset):  # type: ignore[no-untyped-def]
    model = build_model(tf)
    model.compile(
        optimizer=tf.keras.optimizers.Adam(learning_rate=3e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    # the lot looks the same mirrored left-right: twice the data for free
    patches = np.concatenate([data.patches, data.patches[:, :, ::-1]])[..., None]
    labels = np.concatenate([data.labels, data.labels])
    model.fit(
        patches,
        labels,
        epochs=EPOCHS,
        batch_size=BATCH,
        shuffle=True,
        class_weight=class_weights(data.labels),
        verbose=2,
    )
    return model


def quantise(tf, model, representative: np.ndarray) -> bytes:  # type: ignore[no-untyped-def]
    """Full-integer int8 (weights, activations, input and output) with a representative set."""

    def samples():  # type: ignore[no-untyped-def]
        for patch in representative:
            yield [patch[None, ..., None].astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = samples
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return bytes(converter.convert())


def with_version(content: bytes, version: str) -> bytes:
    """The flatbuffer with a ``parkvakt_version`` metadata entry (read by ``load_classifier``)."""
    import flatbuffers
    from tensorflow.lite.python import schema_py_generated as schema

    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(content, 0))
    buffer = schema.BufferT()
    buffer.data = np.frombuffer(version.encode("utf-8"), dtype=np.uint8)
    model.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name = VERSION_METADATA_KEY
    entry.buffer = len(model.buffers) - 1
    model.metadata = [*(model.metadata or []), entry]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def confusion(true: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    matrix = np.zeros((len(LABELS), len(LABELS)), dtype=np.int64)
    np.add.at(matrix, (true, predicted), 1)
    return matrix


def metrics(matrix: np.ndarray) -> dict[str, object]:
    per_class = {}
    for i, label in enumerate(LABELS):
        tp = int(matrix[i, i])
        predicted = int(matrix[:, i].sum())
        actual = int(matrix[i].sum())
        per_class[label] = {
            "precision": tp / predicted if predicted else 0.0,
            "recall": tp / actual if actual else 0.0,
            "support": actual,
        }
    return {
        "accuracy": float(np.trace(matrix) / max(matrix.sum(), 1)),
        "per_class": per_class,
        "confusion": matrix.tolist(),
    }


def publish(out_dir: Path, content: bytes) -> str:
    digest = hashlib.sha256(content).hexdigest()
    (out_dir / "parkvakt.tflite").write_bytes(content)
    (out_dir / "parkvakt.tflite.sha256").write_text(f"{digest}  parkvakt.tflite\n")
    (out_dir / "labels.txt").write_text("\n".join(LABELS) + "\n")
    return digest


REPORT_NAME = "training-report.json"
REAL_RECORDING = MODELS_DIR.parent.parent / "shared" / "data" / "real" / "mlx90641-warmup.npz"


def real_data_check(classifier: Classifier, path: Path = REAL_RECORDING) -> dict[str, object] | None:
    """How the model labels the one real recording we have (MLX90641, indoor, a seated person
    about 2-3 °C above the room): background = median of the 5 s before the person enters, the
    blob = every pixel more than FOREGROUND_C above it, one frame in 16 after the entry."""
    from hw.recording import load_labels, load_recording

    if not path.exists():
        return None
    rec = load_recording(path)
    labels = load_labels(path) or []
    enter = min(e.start for e in labels if e.type == "person")
    before = (rec.timestamps >= enter - 5.0) & (rec.timestamps < enter)
    background = np.median(rec.frames[before], axis=0)
    boxes, frames = [], []
    for i in np.flatnonzero(rec.timestamps >= enter + 2.0)[::16]:
        bbox = foreground_bbox(rec.frames[i] - background, (0, 0, rec.frames.shape[2], rec.frames.shape[1]))
        if bbox is not None:
            boxes.append(bbox)
            frames.append(i)
    if not boxes:
        return {"recording": path.name, "frames": 0}
    patches = np.stack([extract_patch(rec.frames[i], background, b) for i, b in zip(frames, boxes, strict=True)])
    predicted = classifier.predict(patches).argmax(axis=1)
    share = {label: round(float(np.mean(predicted == i)), 3) for i, label in enumerate(LABELS)}
    return {"recording": path.name, "frames": len(boxes), "predicted_share": share}


def held_out_runs() -> list[tuple[tuple[int, int], Dataset]]:
    return [
        (shape, run_patches(name, seed, shape))
        for name, seed, shape in runs(VALIDATION_SEEDS, HELD_OUT_RUNS_PER_SCENARIO)
    ]


def metrics_by_resolution(
    classifier: Classifier, parts: list[tuple[tuple[int, int], Dataset]]
) -> dict[str, dict[str, object]]:
    """Accuracy and per-class recall for each frame size of the held-out runs."""
    out: dict[str, dict[str, object]] = {}
    for shape in sorted({shape for shape, _ in parts}, key=lambda s: s[0] * s[1]):
        data = Dataset.concat([part for part_shape, part in parts if part_shape == shape])
        m = metrics(confusion(data.labels, classifier.predict(data.patches).argmax(axis=1)))
        recall = {label: round(float(v["recall"]), 3) for label, v in m["per_class"].items()}  # type: ignore[union-attr]
        out[f"{shape[1]}x{shape[0]}"] = {"accuracy": round(float(m["accuracy"]), 3), "recall": recall}  # type: ignore[arg-type]
    return out


class SimulatorChanged(RuntimeError):
    pass


def run(out_dir: Path) -> dict[str, object]:
    started = time.monotonic()
    simulator = describe_simulator()
    tf = _tensorflow()
    train_set = build_dataset(TRAIN_SEEDS, TRAIN_RUNS_PER_SCENARIO)
    held_parts = held_out_runs()
    held_out = Dataset.concat([part for _, part in held_parts])
    print(f"data: {len(train_set)} training patches {train_set.counts()}, {len(held_out)} held-out {held_out.counts()}")
    model = train(tf, train_set)
    if describe_simulator() != simulator:
        raise SimulatorChanged("hw/sim changed while the data were generated; train again when it is quiet")
    rng = np.random.default_rng(SEED)
    representative = train_set.patches[rng.choice(len(train_set), size=min(500, len(train_set)), replace=False)]
    content = with_version(quantise(tf, model, representative), MODEL_VERSION)
    digest = publish(out_dir, content)
    classifier = load_classifier(out_dir / "parkvakt.tflite")
    predicted = classifier.predict(held_out.patches).argmax(axis=1)
    by_resolution = metrics_by_resolution(classifier, held_parts)
    report = {
        "version": MODEL_VERSION,
        "sha256": digest,
        "size_bytes": len(content),
        "tensorflow": tf.__version__,
        "simulator": simulator,
        "seed": SEED,
        "train": {
            "seeds": [TRAIN_SEEDS.start, TRAIN_SEEDS.stop - 1],
            "runs": len(runs(TRAIN_SEEDS, TRAIN_RUNS_PER_SCENARIO)),
            "counts": train_set.counts(),
            "data_sha256": data_digest(train_set),
        },
        "held_out": {
            "seeds": [VALIDATION_SEEDS.start, VALIDATION_SEEDS.stop - 1],
            "runs": len(runs(VALIDATION_SEEDS, HELD_OUT_RUNS_PER_SCENARIO)),
            "counts": held_out.counts(),
            "data_sha256": data_digest(held_out),
        },
        "metrics": metrics(confusion(held_out.labels, predicted)),
        "by_resolution": by_resolution,
        "real_data": real_data_check(classifier),
        "train_seconds": round(time.monotonic() - started, 1),
    }
    print(json.dumps(report, indent=2))
    return report


def check() -> int:
    """Retrain into a kept temporary folder and say whether the committed model was reproduced,
    and if not, whether the data or only the weights differ."""
    committed = json.loads((MODELS_DIR / REPORT_NAME).read_text())
    out = Path(tempfile.mkdtemp(prefix="parkvakt-train-check-"))
    report = run(out)
    same_sim = report["simulator"] == committed["simulator"]
    same = report["sha256"] == committed["sha256"]
    committed_data = committed["train"].get("data_sha256")
    same_data = committed_data is not None and report["train"]["data_sha256"] == committed_data
    print(f"simulator: {report['simulator']} ({'same as' if same_sim else 'differs from'} the committed model's)")
    if committed_data is not None:
        ours = report["train"]["data_sha256"]
        print(f"training data sha256 {ours[:16]} {'==' if same_data else '!='} committed {committed_data[:16]}")
    print(f"retrained sha256 {report['sha256']} {'==' if same else '!='} committed {committed['sha256']} (in {out})")
    if not same and same_data:
        print(
            "same data, different weights: another CPU or TensorFlow build rounds differently "
            f"(committed: TensorFlow {committed['tensorflow']}, here {report['tensorflow']})"
        )
    elif not same and not same_sim:
        print(
            "the simulator source differs from the one the model was trained with, so its data may differ "
            "(the card's check note says what changed); retrain to update"
        )
    elif not same and committed_data is None:
        print("same simulator source, but the committed report has no data digest: data or rounding, cannot tell")
    return 0 if same else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=MODELS_DIR, help="where to write the model (default: models/)")
    parser.add_argument("--check", action="store_true", help="retrain in a temporary folder and compare hashes")
    parser.add_argument("--card-only", action="store_true", help=f"rewrite MODEL_CARD.md from {REPORT_NAME}")
    args = parser.parse_args(argv)
    if args.card_only:
        write_card(json.loads((args.out / REPORT_NAME).read_text()), args.out / MODEL_CARD_PATH.name)
        return 0
    if args.check:
        return check()
    args.out.mkdir(parents=True, exist_ok=True)
    report = run(args.out)
    write_card(report, args.out / MODEL_CARD_PATH.name)
    (args.out / REPORT_NAME).write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
