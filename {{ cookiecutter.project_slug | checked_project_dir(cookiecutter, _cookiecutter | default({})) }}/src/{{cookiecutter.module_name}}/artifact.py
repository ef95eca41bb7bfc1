"""The model artifact: one zip file that is safe to load and whose guarantee is checked, not assumed.

It holds `metadata.json`, the estimator as skops (the reference; loading it never runs code
from the file) and, when skl2onnx can convert it, the same estimator as ONNX. The metadata
lists a sha256 of every other member. The model version is derived from the estimator's
content (`content_digest`), so the same data and settings give the same version, and two
artifacts with the same version hold the same model.

What `load` checks, and what that protects against:
- every member is listed, has its listed sha256 and a bounded size; the metadata has every
  field, typed: protects against accidental corruption, truncation and swapped files;
- the estimator was fitted under this code's monotonic constraints and, for a linear one, its
  coefficients obey them, and the version matches its bytes: the monotone guarantee (demand
  never rises with price, say) holds for whatever is served, even for a file edited by hand;
- with a signing key (`artifact_key` setting), an HMAC-SHA256 of the metadata, which covers
  every member's digest: only that protects against a deliberate forger, who can recompute
  the digests inside the zip but not the HMAC without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import skops.io
from pydantic import BaseModel, ConfigDict, ValidationError

from . import __version__, objective
from .estimator import ESTIMATOR, ONNX_COLUMN, ONNX_INPUT, ONNX_OUTPUT
from .features import FEATURE_NAMES, monotonic_constraints
from .model import ARTIFACT_FORMAT, TrainedModel
from .schema import SCHEMA
from .tables import atomic_path

if TYPE_CHECKING:
    import onnxruntime

#: What computes predictions: see `load`.
Backend = Literal["auto", "numpy", "onnx"]

logger = logging.getLogger(__name__)

#: Types the artifact may contain beyond skops' defaults. Loading refuses anything else,
#: so a tampered file cannot smuggle in code to run. The second is the tree container of
#: scikit-learn's histogram gradient boosting, the documented alternative estimator.
TRUSTED_TYPES = [
    f"{ESTIMATOR.__module__}.{ESTIMATOR.__qualname__}",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
]
#: How far the ONNX graph's output may stray from the scikit-learn reference.
ONNX_TOLERANCE = 1e-6
#: No member may inflate beyond this: a small file must not exhaust memory when loaded.
MAX_MEMBER_BYTES = 64 * 1024 * 1024
METADATA, SIGNATURE = "metadata.json", "signature"


class ArtifactError(ValueError):
    """The artifact cannot be used: missing, tampered, or made for another schema or version."""


class ArtifactMetadata(BaseModel):
    """The fields `load` and the API rely on; training adds more (params, periods, ...)."""

    model_config = ConfigDict(extra="allow", strict=True)

    artifact_format: int
    package_version: str
    model_version: str
    trained_at: str
    input_schema: list[dict[str, Any]]
    feature_names: list[str]
    metrics: dict[str, Any]
    sha256: dict[str, str]


def package(model: TrainedModel, key: bytes | None = None) -> tuple[bytes, str]:
    """The artifact's bytes and its model version; signed with `key` when one is given."""
    files = {"model.skops": skops.io.dumps(model.estimator)}
    try:
        # Training only: skl2onnx is in the `train` dependency group, not in the serving image.
        from .onnx_export import to_onnx  # noqa: PLC0415

        graph = to_onnx(model.estimator)
        _onnx_session(graph, model.estimator)  # only a graph that agrees with the model is shipped
        files["model.onnx"] = graph
    except Exception as error:  # the graph is optional: a converter may fail in any way, the reference ships
        logger.warning("no ONNX graph in the artifact, predictions will use the estimator itself: %s", error)
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    model_version = _version(content_digest(files["model.skops"]))
    metadata = json.dumps(model.metadata | {"sha256": digests, "model_version": model_version}, indent=2, default=str)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(METADATA, metadata)
        for name, data in files.items():
            archive.writestr(name, data)
        if key is not None:
            archive.writestr(SIGNATURE, _sign(key, metadata.encode()))
    return buffer.getvalue(), model_version


def save(model: TrainedModel, path: Path, key: bytes | None = None) -> str:
    """Write the artifact atomically (a crash never leaves a half-written one); return its version."""
    data, model_version = package(model, key)
    with atomic_path(path) as partial:
        partial.write_bytes(data)
    return model_version


def _version(digest: str) -> str:
    return f"{__version__}+{digest[:12]}"


_SKOPS_ID = re.compile(r'("__id__": |"file": ")(\d+)')


def content_digest(payload: bytes) -> str:
    """A sha256 of what a skops payload holds, not of how it was written.

    skops names members and nodes after Python object ids, which change on every run; here each
    id becomes its order of first appearance, and the arrays are hashed in that order.
    """
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        schema = archive.read("schema.json").decode("utf-8")
        order: dict[str, int] = {}
        for _, number in _SKOPS_ID.findall(schema):
            order.setdefault(number, len(order))
        digest = hashlib.sha256(_SKOPS_ID.sub(lambda m: f"{m[1]}#{order[m[2]]}", schema).encode())
        for number in order:
            if f"{number}.npy" in archive.namelist():
                digest.update(archive.read(f"{number}.npy"))
    return digest.hexdigest()


def _sign(key: bytes, metadata: bytes) -> str:
    return hmac.new(key, metadata, hashlib.sha256).hexdigest()


def load(path: Path, *, backend: Backend = "auto", key: bytes | None = None) -> TrainedModel:
    """Read an artifact, refusing (with ArtifactError, naming the cause) any file unsafe to serve.

    `backend` chooses what computes predictions: "numpy", the estimator itself; "onnx", its ONNX
    graph on onnxruntime, once shown to agree with the estimator; "auto", NumPy for a linear
    estimator (a dot product: 1 row 1.6 us against 6.9 us on onnxruntime) and onnxruntime for
    any other that has a graph. onnxruntime is imported only when it serves.
    """
    if not path.is_file():
        raise ArtifactError(f"no model artifact at {path}: run the `train` command first")
    files, metadata = _read_members(path, key)
    _check_compatible(path, metadata)
    untrusted = set(skops.io.get_untrusted_types(data=files["model.skops"])) - set(TRUSTED_TYPES)
    if untrusted:
        raise ArtifactError(f"{path} holds types that are not trusted: {sorted(untrusted)}; refusing to load it")
    try:
        estimator = skops.io.loads(files["model.skops"], trusted=TRUSTED_TYPES)
    except Exception as error:  # skops raises many types for a malformed payload
        raise ArtifactError(f"{path} holds an estimator skops cannot load ({error})") from error
    _check_guarantee(path, estimator, metadata, files["model.skops"])
    model = TrainedModel(estimator, metadata.model_dump())
    if backend == "auto":
        backend = "numpy" if hasattr(estimator, "predict_unchecked") or "model.onnx" not in files else "onnx"
    if backend == "numpy":
        return model
    if "model.onnx" not in files:
        raise ArtifactError(f"{path} has no ONNX graph: set inference_backend to numpy or auto")
    try:
        session = _onnx_session(files["model.onnx"], estimator)
    except OnnxError as error:
        raise ArtifactError(f"{path} holds an ONNX graph that {error}: retrain the model") from error
    return TrainedModel(estimator, model.metadata, session)


def read_metadata(path: Path) -> dict[str, Any]:
    """The artifact's metadata, checked (digests, typed fields) but without loading the estimator."""
    if not path.is_file():
        raise ArtifactError(f"no model artifact at {path}: run the `train` command first")
    return _read_members(path, None)[1].model_dump()


def _read_members(path: Path, key: bytes | None) -> tuple[dict[str, bytes], ArtifactMetadata]:
    """Every member, checked against the metadata's digests (and the signature, given a key)."""
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.file_size > MAX_MEMBER_BYTES:
                    raise ArtifactError(
                        f"{path}: member {info.filename} inflates to {info.file_size:,} bytes, more than "
                        f"{MAX_MEMBER_BYTES:,}: refusing to load it"
                    )
            raw = {name: archive.read(name) for name in archive.namelist()}
    except ArtifactError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise ArtifactError(f"{path} is not a model artifact: {error}") from error
    metadata = _parse_metadata(path, raw.get(METADATA))
    if key is not None:
        signature = raw.get(SIGNATURE, b"").decode("ascii", "replace")
        if not hmac.compare_digest(signature, _sign(key, raw[METADATA])):
            raise ArtifactError(f"{path} is not signed with the configured artifact_key: refusing to load it")
    listed = set(metadata.sha256)
    present = set(raw) - {METADATA, SIGNATURE}
    if listed != present or "model.skops" not in listed:
        raise ArtifactError(
            f"{path} failed its integrity check: members {sorted(present)} do not match the listed {sorted(listed)}"
        )
    for name in listed:
        if hashlib.sha256(raw[name]).hexdigest() != metadata.sha256[name]:
            raise ArtifactError(f"{path} failed its integrity check: the bytes of {name} do not match their sha256")
    return {name: raw[name] for name in listed}, metadata


def _parse_metadata(path: Path, data: bytes | None) -> ArtifactMetadata:
    if data is None:
        raise ArtifactError(f"{path} is not a model artifact: it has no {METADATA}")
    try:
        return ArtifactMetadata.model_validate(json.loads(data.decode("utf-8")))
    except (UnicodeDecodeError, RecursionError, json.JSONDecodeError) as error:
        raise ArtifactError(f"{path} has a {METADATA} that is not readable JSON ({type(error).__name__})") from error
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(map(str, first["loc"])) or "the document"
        raise ArtifactError(f"{path} has an invalid {METADATA}: {where}: {first['msg']}") from error


def _check_compatible(path: Path, metadata: ArtifactMetadata) -> None:
    """Refuse an artifact from another format, major version, input schema or feature set."""
    if metadata.artifact_format != ARTIFACT_FORMAT:
        raise ArtifactError(f"{path} has artifact format {metadata.artifact_format}, expected {ARTIFACT_FORMAT}")
    if metadata.package_version.split(".")[0] != __version__.split(".")[0]:
        raise ArtifactError(
            f"{path} was written by version {metadata.package_version}, incompatible with {__version__}"
            " (major versions differ): retrain the model"
        )
    if metadata.input_schema != SCHEMA.describe() or metadata.feature_names != list(FEATURE_NAMES):
        raise ArtifactError(f"{path} was trained for a different input schema or feature set: retrain the model")


def _check_guarantee(path: Path, estimator: object, metadata: ArtifactMetadata, payload: bytes) -> None:
    """What the monotone guarantee rests on: an estimator fitted under this code's monotonic
    constraints (`monotonic_cst`) for its features, and, for a linear one, coefficients that obey them."""
    get_params = getattr(estimator, "get_params", None)
    params = get_params() if callable(get_params) else {}
    if not hasattr(estimator, "predict") or "monotonic_cst" not in params:
        raise ArtifactError(
            f"{path} holds a {type(estimator).__name__}, not an estimator with monotonic constraints: its "
            "monotone guarantee cannot be checked; refusing to load it"
        )
    expected = monotonic_constraints()
    width = getattr(estimator, "n_features_in_", None)
    if list(params["monotonic_cst"] or []) != expected or width != len(expected):
        raise ArtifactError(f"{path} holds an estimator with other constraints or features than this code declares")
    coef = np.asarray(getattr(estimator, "coef_", np.zeros(len(expected))), dtype=float).ravel()
    cst = np.asarray(expected)
    if coef.shape != cst.shape:
        raise ArtifactError(f"{path} holds {coef.size} coefficients for {cst.size} features")
    broken = ~np.isfinite(coef) | ((cst == -1) & (coef > 0)) | ((cst == 1) & (coef < 0))
    if broken.any():
        names = [FEATURE_NAMES[i] for i in np.flatnonzero(broken)]
        raise ArtifactError(f"{path} holds coefficients that break their constraints ({names}): refusing to load it")
    if metadata.model_version != _version(content_digest(payload)):
        raise ArtifactError(f"{path} claims version {metadata.model_version}, which does not match its estimator")


class OnnxError(ValueError):
    """An ONNX graph that onnxruntime cannot run, or whose output strays from the estimator's."""


def _onnx_session(graph: bytes, estimator: Any) -> onnxruntime.InferenceSession:
    """Load the ONNX graph into onnxruntime, checked against the estimator on probe rows.

    The probes are all-zeros and each unit vector: for a linear model, agreeing on them means
    agreeing everywhere. One thread per session: the web server and batch scoring already
    parallelize across requests and chunks, and more threads would fight over the cores.
    """
    import onnxruntime  # noqa: PLC0415 (only where it serves: the NumPy backend never loads it)

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    probes = np.vstack([np.zeros(len(FEATURE_NAMES)), np.eye(len(FEATURE_NAMES))])
    try:
        session = onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        onnx_output = session.run([ONNX_OUTPUT], {ONNX_INPUT: probes})[0][:, ONNX_COLUMN]
    except Exception as error:  # onnxruntime's errors share no base class but Exception
        raise OnnxError(f"onnxruntime cannot run ({error})") from error
    gap = float(np.max(np.abs(onnx_output - objective.estimate(estimator, probes))))
    if not gap <= ONNX_TOLERANCE:
        raise OnnxError(f"disagrees with the scikit-learn model by {gap:.3g} (more than {ONNX_TOLERANCE:g})")
    return session
