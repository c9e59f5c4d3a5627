"""Load the on-device classifier and run it on patches.

The model file is trusted only if its sha256 matches the ``<model>.sha256`` file next to it
(``sha256sum`` format). Anything wrong with the model (missing, corrupt, tampered, wrong shape)
raises :class:`ModelError` with a message an operator can act on; the pipeline turns that into a
``trouble`` event and carries on with rules only.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import numpy as np

from firmware.pipeline.patch import PATCH_SIZE

LABELS: tuple[str, ...] = ("person", "vehicle", "fire", "other")
VERSION_METADATA_KEY = "parkvakt_version"
MAX_MODEL_BYTES = 4 * 1024 * 1024
"""Far above the bundled model's ~15 KB; a bigger file is not a classifier for this unit and is not read."""
_SHA256_LINE = re.compile(r"^([0-9a-fA-F]{64})(?:\s+\*?(\S.*))?$")


class ModelError(Exception):
    """The classifier cannot be used; the message says why and what to do."""


def bundled_model_path() -> Path:
    from models import MODEL_PATH

    return MODEL_PATH


def hash_file_for(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def read_expected_sha256(path: Path) -> str:
    """The hash recorded for ``path`` in its ``.sha256`` file."""
    hash_path = hash_file_for(path)
    try:
        text = hash_path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ModelError(f"model hash file {hash_path} is missing; refusing to load an unverified model") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError(f"cannot read model hash file {hash_path}: {exc}") from exc
    match = _SHA256_LINE.match(text.splitlines()[0] if text else "")
    if match is None:
        raise ModelError(f"model hash file {hash_path} does not hold a sha256 (expected '<64 hex>  {path.name}')")
    return match.group(1).lower()


def _new_interpreter(content: bytes) -> Any:
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        try:
            from tflite_runtime.interpreter import Interpreter  # type: ignore[import-not-found,no-redef]
        except ImportError:
            raise ModelError("no TFLite runtime: install ai-edge-litert (or tflite-runtime)") from None
    return Interpreter(model_content=content, num_threads=1)


def _table_at(buf: bytes, pos: int) -> Any:
    from flatbuffers.table import Table

    return Table(buf, pos)


def _embedded_version(content: bytes) -> str | None:
    """The ``parkvakt_version`` metadata ``models/train.py`` writes into the flatbuffer, if any.

    Walks the TFLite schema's few fields by hand (Model.metadata = field 6, Model.buffers = 4,
    Metadata.name/.buffer = 0/1, Buffer.data = 0): the generated schema module would cost 4 MB of
    memory for one string.
    """
    try:
        from flatbuffers import encode, number_types, packer

        model = _table_at(content, encode.Get(packer.uoffset, content, 0))
        metadata, buffers = model.Offset(16), model.Offset(12)
        if not metadata or not buffers:
            return None
        for j in range(model.VectorLen(metadata)):
            entry = _table_at(content, model.Indirect(model.Vector(metadata) + 4 * j))
            name_at, buffer_at = entry.Offset(4), entry.Offset(6)
            if not name_at or entry.String(name_at + entry.Pos) != VERSION_METADATA_KEY.encode():
                continue
            index = entry.Get(number_types.Uint32Flags, buffer_at + entry.Pos) if buffer_at else 0
            if index >= model.VectorLen(buffers):
                return None
            buffer = _table_at(content, model.Indirect(model.Vector(buffers) + 4 * index))
            data_at = buffer.Offset(4)
            if not data_at:
                return None
            start = buffer.Vector(data_at)
            return bytes(content[start : start + buffer.VectorLen(data_at)]).decode("utf-8")
    except Exception:  # a model without readable metadata is still a model; it is just unversioned
        return None
    return None


class Classifier:
    """One TFLite interpreter on one thread; ``predict`` is not re-entrant."""

    def __init__(self, interpreter: Any, *, path: Path, sha256: str, version: str) -> None:
        self.path = path
        self.sha256 = sha256
        self.version = version
        self.labels = LABELS
        self._interpreter = interpreter
        self.self_tested = False
        self._input = interpreter.get_input_details()[0]
        self._output = interpreter.get_output_details()[0]
        self._in_scale, self._in_zero = self._quantisation(self._input)
        self._out_scale, self._out_zero = self._quantisation(self._output)
        self._capacity = int(self._input["shape"][0])
        self._buffer = np.zeros(tuple(self._input["shape"]), dtype=self._input["dtype"])
        self._in_min, self._in_max = -np.inf, np.inf
        if np.issubdtype(self._buffer.dtype, np.integer):
            limits = np.iinfo(self._buffer.dtype)
            self._in_min, self._in_max = float(limits.min), float(limits.max)

    @staticmethod
    def _quantisation(detail: dict[str, Any]) -> tuple[float, int]:
        scale, zero = detail.get("quantization", (0.0, 0))
        return float(scale), int(zero)

    def _ensure_capacity(self, n: int) -> None:
        """Grow the input batch to the next power of two ≥ n, so batch sizes that vary by frame
        do not reallocate the interpreter every call. Rows past ``n`` hold stale patches; their
        outputs are ignored (rows are independent)."""
        if n <= self._capacity:
            return
        capacity = 1 << (n - 1).bit_length()
        shape = [capacity, *self._input["shape"][1:]]
        self._interpreter.resize_tensor_input(self._input["index"], shape)
        self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]
        self._output = self._interpreter.get_output_details()[0]
        self._capacity = capacity
        self._buffer = np.zeros(tuple(shape), dtype=self._input["dtype"])

    def self_test(self) -> None:
        """Run the model once on a blank patch, at load.

        A model that loads but cannot run is then found when the unit starts, not at the first
        thing that moves in the lot; and the update agent's ``inference`` health check holds on
        a quiet night lot too (it would otherwise wait for motion and roll a good release back).
        """
        try:
            out = self.predict(np.zeros((1, PATCH_SIZE, PATCH_SIZE), dtype=np.float32))
        except Exception as exc:
            raise ModelError(f"model file {self.path} failed its self-test: {exc}") from exc
        if out.shape != (1, len(LABELS)) or not np.isfinite(out).all() or abs(float(out.sum()) - 1.0) > 0.05:
            raise ModelError(f"model file {self.path} failed its self-test: output {out.tolist()} is no distribution")
        self.self_tested = True

    def predict(self, patches: np.ndarray) -> np.ndarray:
        """Probabilities over :data:`LABELS` (float32 [N, 4], rows sum to 1) for float32 [N, P, P] patches."""
        patches = np.asarray(patches, dtype=np.float32)
        if patches.ndim == 2:
            patches = patches[None]
        if patches.ndim != 3 or patches.shape[1:] != (PATCH_SIZE, PATCH_SIZE):
            raise ValueError(f"patches must be [N, {PATCH_SIZE}, {PATCH_SIZE}], got {patches.shape}")
        n = len(patches)
        if n == 0:
            return np.zeros((0, len(LABELS)), dtype=np.float32)
        if not np.isfinite(patches).all():
            patches = np.nan_to_num(patches, nan=0.0, posinf=1.0, neginf=-1.0)
        self._ensure_capacity(n)
        flat = self._buffer.reshape(self._capacity, PATCH_SIZE, PATCH_SIZE)
        if self._in_scale:
            quantised = patches * np.float32(1.0 / self._in_scale)
            quantised += self._in_zero
            np.rint(quantised, out=quantised)
            np.clip(quantised, self._in_min, self._in_max, out=quantised)
            flat[:n] = quantised
        else:
            flat[:n] = patches
        self._interpreter.set_tensor(self._input["index"], self._buffer)
        self._interpreter.invoke()
        raw = self._interpreter.get_tensor(self._output["index"])[:n]
        probs = raw.astype(np.float32)
        if self._out_scale:
            probs -= self._out_zero
            probs *= self._out_scale
        # int8 softmax rows sum to 1 only up to rounding, and may all round to zero
        np.maximum(probs, 0.0, out=probs)
        probs += np.float32(1e-6)
        probs /= probs.sum(axis=1, keepdims=True)
        return probs

    def classify(self, patches: np.ndarray) -> list[tuple[str, float]]:
        """The most probable label and its probability for each patch."""
        probs = self.predict(patches)
        best = probs.argmax(axis=1)
        return [(LABELS[i], float(probs[row, i])) for row, i in enumerate(best)]


def _check_signature(interpreter: Any, path: Path) -> None:
    inputs, outputs = interpreter.get_input_details(), interpreter.get_output_details()
    if len(inputs) != 1 or len(outputs) != 1:
        raise ModelError(f"model {path} has {len(inputs)} inputs and {len(outputs)} outputs; expected 1 and 1")
    shape = tuple(int(d) for d in inputs[0]["shape"])
    if shape[1:] not in ((PATCH_SIZE, PATCH_SIZE, 1), (PATCH_SIZE, PATCH_SIZE)):
        raise ModelError(
            f"model {path} takes input {list(shape)}; this firmware feeds [N, {PATCH_SIZE}, {PATCH_SIZE}, 1] patches"
        )
    out_shape = tuple(int(d) for d in outputs[0]["shape"])
    if len(out_shape) != 2 or out_shape[1] != len(LABELS):
        raise ModelError(f"model {path} outputs {list(out_shape)}; expected [N, {len(LABELS)}] for {', '.join(LABELS)}")


def load_classifier(path: Path | None = None) -> Classifier:
    """Verify and load a model (``None`` = the bundled ``models/parkvakt.tflite``)."""
    path = Path(path) if path is not None else bundled_model_path()
    try:
        size = path.stat().st_size
        if size > MAX_MODEL_BYTES:
            raise ModelError(f"model file {path} is {size} bytes, more than the {MAX_MODEL_BYTES} a classifier may be")
        content = path.read_bytes()
    except FileNotFoundError:
        raise ModelError(f"model file {path} is missing; running on rules only until it is restored") from None
    except OSError as exc:
        raise ModelError(f"cannot read model file {path}: {exc}") from exc
    expected = read_expected_sha256(path)
    actual = hashlib.sha256(content).hexdigest()
    if actual != expected:
        raise ModelError(
            f"model file {path} is corrupt or was changed: sha256 {actual[:16]}… does not match "
            f"{hash_file_for(path).name} ({expected[:16]}…); reinstall the release"
        )
    try:
        interpreter = _new_interpreter(content)
        interpreter.allocate_tensors()
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(f"model file {path} cannot be loaded by the TFLite runtime: {exc}") from exc
    _check_signature(interpreter, path)
    version = _embedded_version(content) or f"unversioned-{actual[:12]}"
    classifier = Classifier(interpreter, path=path, sha256=actual, version=version)
    classifier.self_test()
    return classifier
