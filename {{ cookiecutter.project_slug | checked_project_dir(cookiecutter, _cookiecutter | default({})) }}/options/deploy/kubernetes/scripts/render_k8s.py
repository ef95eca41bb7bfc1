"""Render a kustomize overlay of deploy/k8s/ as `kubectl kustomize` does, without kubectl.

    python scripts/render_k8s.py deploy/k8s/overlays/prod > prod.yaml

The overlays keep to what this renders: `resources` (files, or folders with their own
kustomization.yaml), `namespace`, `images` (newName, newTag, digest) and `patches` written as
JSON patches (RFC 6902: add, replace, remove) with a `target` of kind and name. The template's
tests check that its output equals kubectl's for both overlays; `kubectl apply -k` takes the same
folders. The contract test (tests/test_deploy.py) and `make k8s-check` read the manifests here.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

Manifest = dict[str, Any]


def render(folder: Path) -> list[Manifest]:
    """The manifests the kustomization in `folder` describes, with its overlays applied."""
    spec = yaml.safe_load((folder / "kustomization.yaml").read_text(encoding="utf-8"))
    manifests: list[Manifest] = []
    for resource in spec.get("resources", []):
        path = folder / resource
        manifests += render(path) if path.is_dir() else list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    for patch in spec.get("patches", []):
        for manifest in (m for m in manifests if targeted(m, patch["target"])):
            for operation in yaml.safe_load(patch["patch"]):
                apply(manifest, operation)
    for manifest in manifests:
        if "namespace" in spec:
            manifest["metadata"]["namespace"] = spec["namespace"]
        for container in containers(manifest):
            container["image"] = retagged(container["image"], spec.get("images", []))
    return manifests


def targeted(manifest: Manifest, target: dict[str, str]) -> bool:
    """Whether a patch's target (its kind and name) is this manifest."""
    found = {"kind": manifest["kind"], **manifest["metadata"]}
    return all(found.get(key) == value for key, value in target.items())


def containers(manifest: Manifest) -> list[dict[str, Any]]:
    """The containers of a workload's pod template (Deployment, CronJob), else none."""
    spec = manifest.get("spec", {})
    template = spec.get("jobTemplate", {}).get("spec", spec).get("template", {})
    found: list[dict[str, Any]] = template.get("spec", {}).get("containers", [])
    return found


def retagged(image: str, images: list[dict[str, str]]) -> str:
    """The image an `images` rule names instead (its new name, tag or digest), else the same."""
    name, at, digest = image.partition("@")
    if not at and ":" in name.rsplit("/", 1)[-1]:
        name, _, tag = name.rpartition(":")
        suffix = f":{tag}"
    else:
        suffix = f"@{digest}" if at else ""
    for rule in images:
        if rule["name"] == name:
            suffix = f"@{rule['digest']}" if "digest" in rule else f":{rule['newTag']}" if "newTag" in rule else suffix
            return f"{rule.get('newName', name)}{suffix}"
    return image


def apply(document: Any, operation: dict[str, Any]) -> None:
    """One JSON patch operation (add, replace or remove) on `document`, in place."""
    *parents, last = [part.replace("~1", "/").replace("~0", "~") for part in operation["path"].split("/")[1:]]
    for part in parents:
        document = document[int(part)] if isinstance(document, list) else document[part]
    key: Any = (len(document) if last == "-" else int(last)) if isinstance(document, list) else last
    if operation["op"] == "remove":
        del document[key]
    elif operation["op"] == "add" and isinstance(document, list):
        document.insert(key, operation["value"])
    elif operation["op"] in {"add", "replace"}:
        exists = key in document if isinstance(document, dict) else key < len(document)
        if operation["op"] == "replace" and not exists:
            raise KeyError(f"replace: {operation['path']} does not exist")
        document[key] = operation["value"]
    else:
        raise ValueError(f"unsupported JSON patch operation {operation['op']!r} (add, replace, remove)")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    yaml.safe_dump_all(render(Path(argv[0])), sys.stdout, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
