"""The bundled model through the real ai_edge_litert runtime: verified, loaded, and refused when bad."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

import flatbuffers
import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema

from firmware.pipeline.model import LABELS, MAX_MODEL_BYTES, ModelError, load_classifier
from firmware.pipeline.patch import PATCH_SIZE
from models import HASH_PATH, LABELS_PATH, MODEL_CARD_PATH, MODEL_PATH, MODELS_DIR


@pytest.fixture(scope="module")
def classifier():  # type: ignore[no-untyped-def]
    return load_classifier()


def install_model(folder: Path, content: bytes, *, digest: str | None = None) -> Path:
    """A model file and its .sha256 (of ``content`` unless ``digest`` says otherwise) in ``folder``."""
    path = folder / "model.tflite"
    path.write_bytes(content)
    digest = digest or hashlib.sha256(content).hexdigest()
    (folder / "model.tflite.sha256").write_text(f"{digest}  model.tflite\n")
    return path


def with_input_shape(content: bytes, shape: list[int]) -> bytes:
    """The bundled model with its input tensor declared as ``shape`` (a model built for another patch size)."""
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(content, 0))
    tensor = model.subgraphs[0].tensors[model.subgraphs[0].inputs[0]]
    tensor.shape = np.array(shape, dtype=np.int32)
    tensor.shapeSignature = np.array([-1, *shape[1:]], dtype=np.int32)
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def test_bundled_model_is_small_verified_and_described_by_its_card(classifier) -> None:  # type: ignore[no-untyped-def]
    content = MODEL_PATH.read_bytes()
    assert len(content) < 100 * 1024
    digest = hashlib.sha256(content).hexdigest()
    assert HASH_PATH.read_text().split() == [digest, "parkvakt.tflite"]
    assert classifier.sha256 == digest
    assert tuple(LABELS_PATH.read_text().split()) == LABELS
    card = MODEL_CARD_PATH.read_text()
    assert digest in card, "the model card must name the hash of the committed model"
    assert classifier.version in card
    assert not classifier.version.startswith("unversioned")
    report = json.loads((MODELS_DIR / "training-report.json").read_text())
    assert (report["sha256"], report["version"], report["size_bytes"]) == (digest, classifier.version, len(content))


def test_predict_gives_probabilities_for_any_batch_size(classifier) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(7)
    patches = rng.uniform(-0.1, 0.8, size=(37, PATCH_SIZE, PATCH_SIZE)).astype(np.float32)
    batched = classifier.predict(patches)
    assert batched.shape == (37, len(LABELS)) and batched.dtype == np.float32
    np.testing.assert_allclose(batched.sum(axis=1), 1.0, atol=1e-5)
    assert (batched >= 0).all()
    one_by_one = np.concatenate([classifier.predict(p[None]) for p in patches[:5]])
    np.testing.assert_allclose(one_by_one, batched[:5], atol=1e-6)
    assert classifier.predict(patches[:0]).shape == (0, len(LABELS))


def test_predict_refuses_patches_of_the_wrong_size(classifier) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=f"{PATCH_SIZE}, {PATCH_SIZE}"):
        classifier.predict(np.zeros((2, 8, 8), np.float32))


def test_garbage_values_in_a_patch_still_give_probabilities(classifier) -> None:  # type: ignore[no-untyped-def]
    patch = np.full((1, PATCH_SIZE, PATCH_SIZE), np.nan, np.float32)
    patch[0, :4] = np.inf
    probs = classifier.predict(patch)
    assert np.isfinite(probs).all() and probs.sum() == pytest.approx(1.0, abs=1e-5)


def test_missing_model_is_a_clear_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"model file .*missing"):
        load_classifier(tmp_path / "gone.tflite")


def test_missing_hash_file_refuses_an_unverified_model(tmp_path: Path) -> None:
    path = tmp_path / "model.tflite"
    shutil.copy(MODEL_PATH, path)
    with pytest.raises(ModelError, match=r"hash file .*missing"):
        load_classifier(path)


def test_garbled_hash_file_is_a_clear_model_error(tmp_path: Path) -> None:
    path = install_model(tmp_path, MODEL_PATH.read_bytes())
    (tmp_path / "model.tflite.sha256").write_text("not a hash\n")
    with pytest.raises(ModelError, match="does not hold a sha256"):
        load_classifier(path)


def test_corrupted_bytes_fail_the_hash_check(tmp_path: Path) -> None:
    content = bytearray(MODEL_PATH.read_bytes())
    content[len(content) // 2] ^= 0xFF
    path = install_model(tmp_path, bytes(content), digest=HASH_PATH.read_text().split()[0])
    with pytest.raises(ModelError, match="corrupt or was changed"):
        load_classifier(path)


def test_wrong_hash_is_refused(tmp_path: Path) -> None:
    path = install_model(tmp_path, MODEL_PATH.read_bytes(), digest="0" * 64)
    with pytest.raises(ModelError, match="does not match"):
        load_classifier(path)


@pytest.mark.parametrize("content", [b"", b"TFL3 this is not a flatbuffer" * 10], ids=["empty", "garbage"])
def test_unloadable_file_with_a_matching_hash_is_a_model_error(tmp_path: Path, content: bytes) -> None:
    with pytest.raises(ModelError, match="cannot be loaded"):
        load_classifier(install_model(tmp_path, content))


def test_truncated_model_is_a_model_error(tmp_path: Path) -> None:
    content = MODEL_PATH.read_bytes()
    with pytest.raises(ModelError, match="cannot be loaded"):
        load_classifier(install_model(tmp_path, content[: len(content) // 3]))


def test_oversized_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "model.tflite"
    with path.open("wb") as f:
        f.truncate(MAX_MODEL_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(ModelError, match="more than"):
        load_classifier(path)


def test_model_for_another_patch_size_is_refused(tmp_path: Path) -> None:
    path = install_model(tmp_path, with_input_shape(MODEL_PATH.read_bytes(), [1, 8, 8, 1]))
    with pytest.raises(ModelError, match=rf"input \[1, 8, 8, 1\].*\[N, {PATCH_SIZE}, {PATCH_SIZE}, 1\]"):
        load_classifier(path)


def test_no_runtime_installed_is_a_model_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    monkeypatch.setitem(sys.modules, "tflite_runtime.interpreter", None)
    with pytest.raises(ModelError, match="no TFLite runtime"):
        load_classifier()
