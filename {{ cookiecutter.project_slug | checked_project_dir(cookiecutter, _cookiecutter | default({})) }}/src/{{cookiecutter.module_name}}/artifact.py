"""The model artifact: one zip file that is safe to load and whose guarantee is checked, not assumed.

Its members, each listed in `metadata.json` with its sha256:
- `model.skops`, the fitted estimator: the reference (loading it never runs code from the file);
- `model.linear.json`, for a linear estimator, its coefficients (`linear.LinearForm`);
- `model.onnx`, when skl2onnx can convert the estimator, the same model as an ONNX graph.
- `profile.json`, what training saw (`profile`): the reference `monitor` compares live traffic with.
Serving computes the linear form with NumPy, or runs the graph on onnxruntime: it never imports
scikit-learn, SciPy or skops, which are in the `train` dependency group and not in the image.
Both forms are checked against the estimator when the artifact is written. The model version is
derived from the estimator's content (`content_digest`), so the same data and settings give the
same version, and two artifacts with the same version hold the same model.

What `load` checks, and what that protects against:
- every member is listed, has its listed sha256 and a bounded size; the metadata has every
  field, typed, and the version matches the estimator's bytes: protects against accidental
  corruption, truncation and swapped files;
- the monotone guarantee (demand never rises with price, say), on whatever is served, even a
  file edited by hand: a linear form's coefficients obey this code's constraints (a proof for
  every input); a graph moves the right way along each constrained feature on probe rows and
  agrees with the linear form when there is one; an estimator was fitted under this code's
  `monotonic_cst`;
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
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from . import __version__
from .features import FEATURE_NAMES
from .linear import LinearForm, Matrix
from .model import ARTIFACT_FORMAT, EstimatorPredictor, TrainedModel, predictor_of
from .predictors import FormError, check_agreement, check_estimator, check_signs, onnx_predictor
from .schema import SCHEMA
from .tables import atomic_path

#: What computes predictions: see `load`.
Backend = Literal["auto", "numpy", "onnx", "scikit-learn"]

logger = logging.getLogger(__name__)

#: No member may inflate beyond this: a small file must not exhaust memory when loaded.
MAX_MEMBER_BYTES = 64 * 1024 * 1024
METADATA, SIGNATURE = "metadata.json", "signature"
SKOPS, LINEAR, ONNX, PROFILE = "model.skops", "model.linear.json", "model.onnx", "profile.json"
#: Types the estimator may contain beyond skops' defaults and the task's estimator (`ESTIMATOR`);
#: loading refuses anything else, so a tampered file cannot smuggle in code to run. Here: the tree
#: container of scikit-learn's histogram gradient boosting, the documented alternative estimator.
TRUSTED_TYPES = ["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]


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


def package(model: TrainedModel, key: bytes | None = None, rows: Matrix | None = None) -> tuple[bytes, str]:
    """The artifact's bytes and its model version; signed with `key` when one is given. Each
    served form must agree with the estimator on probe rows and on `rows` (feature rows of the
    data, when training), or it is not shipped."""
    import skops.io  # noqa: PLC0415 (training only: serving has no skops)

    estimator = model.estimator
    if estimator is None:
        raise ArtifactError("only a model with its fitted estimator can be packaged: train one, or load it in full")

    reference = EstimatorPredictor(estimator).predict_unchecked
    files = {SKOPS: skops.io.dumps(estimator)}
    form = predictor_of(estimator)
    if isinstance(form, LinearForm):
        check_agreement(form.predict_unchecked, reference, "the estimator", rows)  # a FormError: a bug of linear_form
        files[LINEAR] = form.to_json()
    try:
        # Training only: skl2onnx is in the `train` dependency group, not in the serving image.
        from .onnx_export import to_onnx  # noqa: PLC0415

        graph = to_onnx(estimator)
        onnx_predictor(graph, reference, rows)  # only a graph that agrees with the model is shipped
        files[ONNX] = graph
    except Exception as error:  # the graph is optional: a converter may fail in any way, the reference ships
        logger.warning("no ONNX graph in the artifact: %s", error)
    if model.profile is not None:
        files[PROFILE] = json.dumps(model.profile, separators=(",", ":")).encode()
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    model_version = _version(content_digest(files[SKOPS]))
    metadata = json.dumps(model.metadata | {"sha256": digests, "model_version": model_version}, indent=2, default=str)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(METADATA, metadata)
        for name, data in files.items():
            archive.writestr(name, data)
        if key is not None:
            archive.writestr(SIGNATURE, _sign(key, metadata.encode()))
    return buffer.getvalue(), model_version


def save(model: TrainedModel, path: Path, key: bytes | None = None, rows: Matrix | None = None) -> str:
    """Write the artifact atomically (a crash never leaves a half-written one); return its version."""
    data, model_version = package(model, key, rows)
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

    `backend` chooses what computes predictions: "numpy", the linear form (1 row in ~2 us);
    "onnx", the ONNX graph on onnxruntime (~7 us); "scikit-learn", the estimator itself (the
    reference, ~50 us, and the only backend that needs the `train` group); "auto", the first of
    these the artifact has. Only the chosen backend's libraries are imported.
    """
    if not path.is_file():
        raise ArtifactError(f"no model artifact at {path}: run the `train` command first")
    files, metadata = _read_members(path, key)
    _check_compatible(path, metadata)
    if metadata.model_version != _version(content_digest(files[SKOPS])):
        raise ArtifactError(f"{path} claims version {metadata.model_version}, which does not match its estimator")
    form = _linear_form(path, files[LINEAR]) if LINEAR in files else None
    if backend == "auto":
        backend = "numpy" if form else "onnx" if ONNX in files else "scikit-learn"
    if backend == "numpy":
        if form is None:
            raise ArtifactError(
                f"{path} has no linear form (its estimator is not linear): set inference_backend to auto"
            )
        return TrainedModel(form, metadata.model_dump())
    if backend == "onnx":
        if ONNX not in files:
            raise ArtifactError(f"{path} has no ONNX graph: set inference_backend to auto")
        try:
            graph = onnx_predictor(files[ONNX], form.predict_unchecked if form else None)
        except ModuleNotFoundError as error:
            raise _missing(path, "onnx", "onnxruntime", error) from error
        except FormError as error:
            raise ArtifactError(f"{path} holds an ONNX graph that {error}: retrain the model") from error
        return TrainedModel(graph, metadata.model_dump())
    estimator = _estimator(path, files[SKOPS])
    reference = EstimatorPredictor(estimator)
    if form is not None:
        try:
            check_agreement(form.predict_unchecked, reference.predict_unchecked, "its estimator")
        except FormError as error:
            raise ArtifactError(f"{path} holds a linear form that {error}: retrain the model") from error
    return TrainedModel(reference, metadata.model_dump(), estimator)


def read_metadata(path: Path) -> dict[str, Any]:
    """The artifact's metadata, checked (digests, typed fields) but without loading the estimator."""
    if not path.is_file():
        raise ArtifactError(f"no model artifact at {path}: run the `train` command first")
    return _read_members(path, None)[1].model_dump()


def read_profile(path: Path, key: bytes | None = None) -> dict[str, Any]:
    """The reference profile training stored (`profile`), checked like every member."""
    if not path.is_file():
        raise ArtifactError(f"no model artifact at {path}: run the `train` command first")
    files, _ = _read_members(path, key)
    if PROFILE not in files:
        raise ArtifactError(f"{path} has no reference profile (it predates monitoring): retrain the model")
    try:
        profile: dict[str, Any] = json.loads(files[PROFILE])
    except (ValueError, RecursionError) as error:
        raise ArtifactError(f"{path} holds a reference profile that cannot be read: {error}") from error
    return profile


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
    if listed != present or SKOPS not in listed:
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


def _linear_form(path: Path, data: bytes) -> LinearForm:
    """The linear form, read as plain numbers and held to the constraints."""
    try:
        form = LinearForm.from_json(data)
    except (ValueError, RecursionError) as error:  # JSON and Unicode errors are ValueErrors
        raise ArtifactError(f"{path} holds a linear form that cannot be read: {error}") from error
    try:
        check_signs(form.coef)
    except FormError as error:
        raise ArtifactError(f"{path} holds a linear form that {error}: refusing to load it") from error
    return form


def _missing(path: Path, backend: str, group: str, error: ModuleNotFoundError) -> ArtifactError:
    """What to install when the backend that serves `path` lacks its libraries (as in the image)."""
    return ArtifactError(
        f"{path} is served by the {backend} backend, which needs {error.name} from the `{group}` dependency "
        f"group: run `uv sync --group {group}` (`make install` installs every group; an image: build it with "
        f"--build-arg EXTRA_GROUP={group})"
    )


def _estimator(path: Path, payload: bytes) -> Any:
    """The estimator, loaded by skops from trusted types only, and fitted under this code's constraints."""
    try:
        import skops.io  # noqa: PLC0415 (only this backend needs it)

        from .estimator import ESTIMATOR  # noqa: PLC0415
    except ModuleNotFoundError as error:
        raise _missing(path, "scikit-learn", "train", error) from error
    trusted = [f"{ESTIMATOR.__module__}.{ESTIMATOR.__qualname__}", *TRUSTED_TYPES]
    untrusted = set(skops.io.get_untrusted_types(data=payload)) - set(trusted)
    if untrusted:
        raise ArtifactError(f"{path} holds types that are not trusted: {sorted(untrusted)}; refusing to load it")
    try:
        estimator = skops.io.loads(payload, trusted=trusted)
    except Exception as error:  # skops raises many types for a malformed payload
        raise ArtifactError(f"{path} holds an estimator skops cannot load ({error})") from error
    try:
        check_estimator(estimator)
    except FormError as error:
        raise ArtifactError(f"{path} holds {error}: refusing to load it") from error
    return estimator
