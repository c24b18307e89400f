"""The Kubernetes manifests (deploy/kubernetes) build, are valid Kubernetes 1.31 objects, and keep the rules.

No kubectl and no cluster: a small loader below builds each kustomization as `kubectl kustomize` would for the
features the manifests use (resources, namespace, images, strategic-merge and JSON 6902 patches) and refuses
any other, so a new feature cannot slip past it unbuilt. Where kubectl happens to be installed, one test
checks that its kustomize builds the very same objects. `kubernetes_validate` checks every object against the
bundled OpenAPI schemas in strict mode (an unknown or misspelt field fails).
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from config.celery_routes import all_queues

ROOT = Path(__file__).resolve().parent.parent
KUBERNETES = ROOT / "deploy" / "kubernetes"
BASE = KUBERNETES / "base"
PRODUCTION = KUBERNETES / "overlays" / "production"
SECRETS_EXAMPLE = KUBERNETES / "secrets.env.example"
KUBERNETES_VERSION = "1.31.0"
CONFIGMAP = "coachworks-config"
SECRET = "coachworks-secrets"
KUSTOMIZATION_FIELDS = {"apiVersion", "kind", "resources", "namespace", "images", "patches"}
CLUSTER_SCOPED = {"Namespace"}
POD_OWNERS = {"Deployment", "Job"}
AUTOSCALED_COMPONENTS = {"web", "worker-payouts", "worker-phases", "worker-files", "worker-messages"}
# Placeholders that make the settings load and pass Django's deployment checks; no real secret.
TEST_BANK_ACCOUNT = {"PAYMENTS_BANK_IBAN": "DE65100700000123456789", "PAYMENTS_BANK_BIC": "DEUTDEBBXXX"}


# --- a small kustomize --------------------------------------------------------------------------------------


def _documents(path: Path) -> list[Any]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document is not None]


def _merge_list(base: list[Any], patch: list[Any]) -> list[Any]:
    """Lists of named objects (containers, env, volumes) merge by name, as Kubernetes' strategic merge does."""
    if not all(isinstance(item, dict) and "name" in item for item in [*base, *patch]):
        return copy.deepcopy(patch)
    merged = [copy.deepcopy(item) for item in base]
    for item in patch:
        match = next((index for index, old in enumerate(merged) if old["name"] == item["name"]), None)
        if match is None:
            merged.append(copy.deepcopy(item))
        else:
            merged[match] = _strategic_merge(merged[match], item)
    return merged


def _strategic_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in patch.items():
        assert not key.startswith("$"), f"the loader knows no strategic-merge directive {key}: keep patches simple"
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _strategic_merge(merged[key], value)
        elif isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = _merge_list(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _pointer(path: str) -> list[str]:
    return [part.replace("~1", "/").replace("~0", "~") for part in path.lstrip("/").split("/")]


def _json6902(document: dict[str, Any], operations: list[dict[str, Any]]) -> dict[str, Any]:
    patched = copy.deepcopy(document)
    for operation in operations:
        *parents, last = _pointer(operation["path"])
        node: Any = patched
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        key: Any = int(last) if isinstance(node, list) and last != "-" else last
        if operation["op"] == "replace":
            assert (key < len(node)) if isinstance(node, list) else key in node, f"nothing to replace at {operation}"
            node[key] = operation["value"]
        elif operation["op"] == "add":
            if isinstance(node, list):
                node.insert(len(node) if key == "-" else key, operation["value"])
            else:
                node[key] = operation["value"]
        elif operation["op"] == "remove":
            del node[key]
        else:
            raise AssertionError(f"the loader knows no JSON 6902 operation {operation['op']!r}: keep patches simple")
    return patched


def _matches(document: dict[str, Any], kind: str, name: str, api_version: str | None = None) -> bool:
    if document["kind"] != kind or document["metadata"]["name"] != name:
        return False
    return api_version is None or document["apiVersion"] == api_version


def _image_name(image: str) -> str:
    name = image.split("@", 1)[0]
    return name.rsplit(":", 1)[0] if ":" in name.rsplit("/", 1)[-1] else name


def _set_images(document: dict[str, Any], images: list[dict[str, str]]) -> None:
    for container in pod_containers(document, init=True):
        for rule in images:
            if _image_name(container["image"]) == rule["name"]:
                name = rule.get("newName", rule["name"])
                if "digest" in rule:
                    container["image"] = f"{name}@{rule['digest']}"
                else:
                    container["image"] = f"{name}:{rule['newTag']}"


def build(directory: Path) -> list[dict[str, Any]]:
    """The objects `kubectl kustomize DIRECTORY` prints, for the kustomize features these manifests use."""
    (kustomization,) = _documents(directory / "kustomization.yaml")
    unknown = set(kustomization) - KUSTOMIZATION_FIELDS
    assert not unknown, f"{directory}: the test's loader does not build {sorted(unknown)}; extend it or avoid them"
    documents: list[dict[str, Any]] = []
    for resource in kustomization.get("resources", []):
        path = (directory / resource).resolve()
        documents.extend(build(path) if path.is_dir() else _documents(path))

    for entry in kustomization.get("patches", []):
        assert "path" in entry, f"{directory}: patches are files (path:), not inline"
        patch = _documents(directory / entry["path"])
        target = entry.get("target")
        if len(patch) == 1 and isinstance(patch[0], list):  # JSON 6902: a list of operations, for one target
            assert target, f"{entry['path']}: a JSON 6902 patch needs a target"
            api_version = f"{target['group']}/{target['version']}" if target.get("group") else target.get("version")
            hits = [index for index, doc in enumerate(documents) if _matches(doc, target["kind"], target["name"])]
            assert len(hits) == 1, f"{entry['path']}: target {target} matches {len(hits)} objects"
            assert api_version is None or documents[hits[0]]["apiVersion"] == api_version
            documents[hits[0]] = _json6902(documents[hits[0]], patch[0])
            continue
        assert target is None, f"{entry['path']}: strategic-merge patches name their target themselves"
        for part in patch:
            hits = [
                index
                for index, doc in enumerate(documents)
                if _matches(doc, part["kind"], part["metadata"]["name"], part.get("apiVersion"))
            ]
            assert len(hits) == 1, f"{entry['path']}: {part['kind']}/{part['metadata']['name']} matches {len(hits)}"
            documents[hits[0]] = _strategic_merge(documents[hits[0]], part)

    for document in documents:
        _set_images(document, kustomization.get("images", []))
        if "namespace" in kustomization and document["kind"] not in CLUSTER_SCOPED:
            document["metadata"]["namespace"] = kustomization["namespace"]
    return documents


@functools.cache
def built(directory: Path) -> tuple[dict[str, Any], ...]:
    return tuple(build(directory))


BUILDS = pytest.mark.parametrize("directory", [BASE, PRODUCTION], ids=["base", "production"])


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="no kubectl here to compare the loader with")
@BUILDS
def test_the_loader_builds_exactly_what_kubectl_kustomize_builds(directory):
    """Where kubectl is installed, its own kustomize (offline) must agree with the loader object for object."""
    result = subprocess.run(
        ["kubectl", "kustomize", str(directory)], capture_output=True, text=True, check=True, timeout=60
    )
    theirs = {(doc["kind"], doc["metadata"]["name"]): doc for doc in yaml.safe_load_all(result.stdout) if doc}

    assert {(doc["kind"], doc["metadata"]["name"]): doc for doc in built(directory)} == theirs


# --- reading the objects -------------------------------------------------------------------------------------


def pod_spec(document: dict[str, Any]) -> dict[str, Any] | None:
    if document["kind"] in POD_OWNERS:
        return document["spec"]["template"]["spec"]
    return None


def pod_containers(document: dict[str, Any], *, init: bool = False) -> Iterator[dict[str, Any]]:
    spec = pod_spec(document)
    if spec is None:
        return
    yield from spec["containers"]
    if init:
        yield from spec.get("initContainers", [])


def named(documents: tuple[dict[str, Any], ...], kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in documents if doc["kind"] == kind}


def config_data(directory: Path) -> dict[str, str]:
    return named(built(directory), "ConfigMap")[CONFIGMAP]["data"]


def env_file(path: Path) -> dict[str, str]:
    """`KEY=value` lines and commented-out optional `# KEY=` lines (value None for those)."""
    values: dict[str, Any] = {}
    for line in path.read_text().splitlines():
        required = re.fullmatch(r"([A-Z][A-Z0-9_]*)=(.*)", line.strip())
        optional = re.fullmatch(r"#\s*([A-Z][A-Z0-9_]*)=(.*)", line.strip())
        if required:
            values[required[1]] = required[2]
        elif optional:
            values[optional[1]] = None
    return values


def command_of(container: dict[str, Any]) -> list[str]:
    return [*container.get("command", []), *container.get("args", [])]


def deployments_running(documents: tuple[dict[str, Any], ...], program: str) -> dict[str, dict[str, Any]]:
    """Deployments whose container runs `celery -A config <program>`."""
    found = {}
    for name, deployment in named(documents, "Deployment").items():
        command = command_of(deployment["spec"]["template"]["spec"]["containers"][0])
        if command[:4] == ["celery", "-A", "config", program]:
            found[name] = deployment
    return found


def option(command: list[str], flag: str) -> str:
    return command[command.index(flag) + 1]


def production_environment() -> dict[str, str]:
    """What a production pod's environment holds: the overlay's ConfigMap and the Secret's keys filled in."""
    values = {key: "" for key, value in env_file(SECRETS_EXAMPLE).items() if value is not None}
    values.update(
        SECRET_KEY=secrets.token_urlsafe(64),
        DATABASE_URL="postgres://coachworks:placeholder@127.0.0.1:1/coachworks",
        REDIS_URL="redis://127.0.0.1:1/0",
        S3_ACCESS_KEY_ID="placeholder",
        S3_SECRET_ACCESS_KEY="placeholder",  # noqa: S106 - not a secret: a placeholder for a settings check
        EMAIL_URL="smtp://mailer:placeholder@127.0.0.1:1/?tls=True",
        **TEST_BANK_ACCOUNT,
    )
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **config_data(PRODUCTION),
        **values,
    }


# --- the rules -----------------------------------------------------------------------------------------------


@BUILDS
def test_every_object_is_valid_against_the_kubernetes_schema_in_strict_mode(directory):
    documents = built(directory)

    errors = []
    for document in documents:
        try:
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            errors.append(f"{document['kind']}/{document['metadata']['name']}: {error.message} at {error.path}")
    assert not errors, "\n".join(errors)
    kinds = {document["kind"] for document in documents}
    expected = {"ConfigMap", "Deployment", "Job", "Service", "Ingress", "HorizontalPodAutoscaler"}
    assert kinds >= {"PodDisruptionBudget", "ServiceAccount", *expected}


def test_the_production_overlay_changes_the_image_the_host_the_replicas_and_the_resources():
    base, production = built(BASE), built(PRODUCTION)

    assert named(production, "Ingress")["web"]["spec"]["rules"][0]["host"] == "coachworks.example"
    assert named(production, "Ingress")["web"]["spec"]["tls"][0]["hosts"] == ["coachworks.example"]
    assert named(base, "HorizontalPodAutoscaler")["web"]["spec"]["minReplicas"] == 2
    assert named(production, "HorizontalPodAutoscaler")["web"]["spec"]["minReplicas"] == 3
    web = named(production, "Deployment")["web"]["spec"]["template"]["spec"]
    assert web["containers"][0]["resources"]["limits"]["memory"] == "1536Mi"
    assert web["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True, "a patch kept the rest"
    images = {container["image"] for doc in production for container in pod_containers(doc, init=True)}
    assert images == {"registry.example.com/coachworks/coachworks:2026.11.30-1"}
    assert {doc["metadata"].get("namespace") for doc in production if doc["kind"] != "Namespace"} == {"coachworks"}
    assert config_data(PRODUCTION)["SITE_URL"] == "https://coachworks.example"
    assert config_data(PRODUCTION)["CELERY_QUEUE"] == config_data(BASE)["CELERY_QUEUE"], "a patch kept the rest"


@BUILDS
def test_every_long_running_container_has_a_readiness_and_a_liveness_probe(directory):
    missing = [
        f"{name}/{container['name']}: {probe}"
        for name, deployment in named(built(directory), "Deployment").items()
        for container in pod_containers(deployment)
        for probe in ("readinessProbe", "livenessProbe")
        if probe not in container
    ]

    assert not missing, "containers without a probe:\n" + "\n".join(missing)


@BUILDS
def test_web_readiness_checks_the_dependencies_and_liveness_only_the_process(directory):
    web = named(built(directory), "Deployment")["web"]["spec"]["template"]["spec"]["containers"][0]

    assert web["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz/live"


@BUILDS
def test_every_container_requests_and_limits_cpu_and_memory(directory):
    wrong = []
    for document in built(directory):
        for container in pod_containers(document, init=True):
            resources = container.get("resources", {})
            for kind in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if resource not in resources.get(kind, {}):
                        wrong.append(f"{document['metadata']['name']}/{container['name']}: no {kind}.{resource}")

    assert not wrong, "\n".join(wrong)


@BUILDS
def test_every_container_runs_as_a_user_without_privileges_on_a_read_only_root_filesystem(directory):
    wrong = []
    for document in built(directory):
        spec = pod_spec(document)
        if spec is None:
            continue
        pod = spec.get("securityContext", {})
        name = document["metadata"]["name"]
        if pod.get("runAsNonRoot") is not True or not pod.get("runAsUser"):
            wrong.append(f"{name}: the pod's securityContext must say runAsNonRoot and a runAsUser other than 0")
        if spec.get("automountServiceAccountToken") is not False:
            wrong.append(f"{name}: mounts a service account token it never uses")
        for container in pod_containers(document, init=True):
            context = container.get("securityContext", {})
            where = f"{name}/{container['name']}"
            if context.get("runAsNonRoot") is not True or context.get("runAsUser", pod.get("runAsUser")) in (0, None):
                wrong.append(f"{where}: not runAsNonRoot with a non-zero runAsUser")
            if context.get("allowPrivilegeEscalation") is not False:
                wrong.append(f"{where}: allowPrivilegeEscalation is not false")
            if context.get("readOnlyRootFilesystem") is not True:
                wrong.append(f"{where}: readOnlyRootFilesystem is not true")
            if context.get("capabilities", {}).get("drop") != ["ALL"]:
                wrong.append(f"{where}: does not drop ALL capabilities")
            if context.get("seccompProfile", pod.get("seccompProfile")) != {"type": "RuntimeDefault"}:
                wrong.append(f"{where}: no RuntimeDefault seccomp profile")
            mounts = {mount["mountPath"]: mount["name"] for mount in container.get("volumeMounts", [])}
            empty_dirs = {volume["name"] for volume in spec.get("volumes", []) if "emptyDir" in volume}
            if mounts.get("/tmp") not in empty_dirs:
                wrong.append(f"{where}: /tmp is not a writable emptyDir (gunicorn, pid and liveness files)")

    assert not wrong, "\n".join(wrong)


@BUILDS
def test_every_image_is_pinned_to_a_tag_or_digest_never_latest(directory):
    wrong = []
    for document in built(directory):
        for container in pod_containers(document, init=True):
            image = container["image"]
            tag = image.rsplit("/", 1)[-1].partition(":")[2]
            if "@sha256:" not in image and (not tag or tag == "latest"):
                wrong.append(f"{document['metadata']['name']}/{container['name']}: {image}")
            if container.get("imagePullPolicy") == "Always" and "@sha256:" not in image:
                wrong.append(f"{document['metadata']['name']}/{container['name']}: pulls a moving tag Always")
    # The kustomizations' own image rules pin too.
    for kustomization in KUBERNETES.rglob("kustomization.yaml"):
        for rule in _documents(kustomization)[0].get("images", []):
            if "digest" not in rule and rule.get("newTag", "latest") == "latest":
                wrong.append(f"{kustomization}: {rule}")

    assert not wrong, "images that are not pinned:\n" + "\n".join(wrong)


def test_no_secret_value_is_kept_in_the_repository():
    manifests = [path for path in KUBERNETES.rglob("*") if path.suffix in (".yaml", ".yml")]
    secrets_with_values = [
        f"{path.relative_to(ROOT)}: {document['metadata']['name']}"
        for path in manifests
        for document in _documents(path)
        if isinstance(document, dict)
        and document.get("kind") == "Secret"
        and (document.get("data") or document.get("stringData"))
    ]
    filled = {key: value for key, value in env_file(SECRETS_EXAMPLE).items() if value}

    assert manifests
    assert not secrets_with_values, "Secrets with values in the repository: " + ", ".join(secrets_with_values)
    assert not filled, f"{SECRETS_EXAMPLE.name} must leave every value blank: {sorted(filled)}"
    assert not [doc for directory in (BASE, PRODUCTION) for doc in built(directory) if doc["kind"] == "Secret"]


@BUILDS
def test_containers_take_their_environment_from_the_configmap_and_the_secret_only(directory):
    documents = built(directory)
    config = config_data(directory)
    wrong = []
    for document in documents:
        for container in pod_containers(document, init=True):
            where = f"{document['metadata']['name']}/{container['name']}"
            sources = container.get("envFrom", [])
            if sources != [{"configMapRef": {"name": CONFIGMAP}}, {"secretRef": {"name": SECRET}}]:
                wrong.append(f"{where}: envFrom is {sources}, not the ConfigMap and the Secret")
            for variable in container.get("env", []):
                reference = variable.get("valueFrom", {})
                if not ({"configMapKeyRef", "secretKeyRef"} & set(reference)):
                    wrong.append(f"{where}: {variable['name']} is not read from the ConfigMap or the Secret")
            for reference in re.findall(r"\$\(([A-Z0-9_]+)\)", " ".join(command_of(container))):
                if reference not in config:
                    wrong.append(f"{where}: the command uses $({reference}), which the ConfigMap does not define")

    assert not wrong, "\n".join(wrong)


def test_every_variable_the_settings_read_is_provided_by_the_configmap_or_the_secret():
    """Imports the settings with an environment that records every variable they ask for."""
    script = """
import json, os, environ
class Recording(dict):
    seen = []
    def _note(self, key):
        if key not in self.seen:
            self.seen.append(key)
    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)
    def get(self, key, default=None):
        self._note(key)
        return super().get(key, default)
    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)
environ.Env.ENVIRON = Recording(os.environ)
import config.env
config.env.env.ENVIRON = environ.Env.ENVIRON
import config.settings
print(json.dumps(Recording.seen))
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=production_environment(),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    read = set(json.loads(result.stdout.strip().splitlines()[-1]))
    provided = set(config_data(PRODUCTION)) | set(env_file(SECRETS_EXAMPLE))

    assert len(read) > 50, "the recording saw too few variables to be trusted"
    missing = sorted(read - provided)
    assert not missing, (
        "the settings read variables Kubernetes does not provide: add them to deploy/kubernetes/base/configmap.yaml "
        f"(or, if secret, to deploy/kubernetes/secrets.env.example): {missing}"
    )
    in_both = sorted(set(config_data(BASE)) & set(env_file(SECRETS_EXAMPLE)))
    assert not in_both, f"in the ConfigMap and the Secret at once: {in_both}"


def test_the_production_configuration_passes_djangos_deployment_checks():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_environment(),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_web_probes_reach_their_views_as_the_kubelet_sends_them():
    """With the production settings (HTTPS redirect, real host names) and every dependency unreachable, the
    probes' requests, headers as in the manifest, get their views' answers: liveness 200, readiness 503 with
    the report. Without the probe's Host header the answer would be 400, without X-Forwarded-Proto a redirect."""
    web = named(built(PRODUCTION), "Deployment")["web"]["spec"]["template"]["spec"]["containers"][0]
    probes = {
        kind: (web[kind]["httpGet"]["path"], {h["name"]: h["value"] for h in web[kind]["httpGet"]["httpHeaders"]})
        for kind in ("startupProbe", "readinessProbe", "livenessProbe")
    }
    script = f"""
import json, django
django.setup()
from django.test import Client
answers = {{}}
for kind, (path, headers) in {probes!r}.items():
    response = Client().get(path, headers=headers)
    answers[kind] = [response.status_code, response.content.decode()]
print(json.dumps(answers))
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=production_environment(),
        capture_output=True,
        text=True,
        check=True,
        timeout=180,
    )

    answers = json.loads(result.stdout.strip().splitlines()[-1])
    assert answers["startupProbe"] == [200, "ok"]
    assert answers["livenessProbe"] == [200, "ok"]
    status, body = answers["readinessProbe"]
    assert status == 503
    assert set(json.loads(body)["checks"]) == {"database", "redis", "storage"}


@pytest.mark.parametrize(
    ("age_seconds", "ready", "alive"),
    [(5, True, True), (100, False, True), (600, False, False), (None, False, False)],
    ids=["fresh", "late", "stale", "missing"],
)
def test_the_worker_probes_tell_a_fresh_liveness_file_from_a_stale_one(tmp_path, age_seconds, ready, alive):
    """Runs the probes' own commands (the image's Debian sh and find, as here) against a file of a given age."""
    worker = named(built(PRODUCTION), "Deployment")["worker-payouts"]["spec"]["template"]["spec"]["containers"][0]
    liveness_file = option(command_of(worker), "--liveness-file")
    path = tmp_path / "worker-alive"
    if age_seconds is not None:
        path.touch()
        os.utime(path, (path.stat().st_mtime - age_seconds,) * 2)

    def passes(probe: str) -> bool:
        command = [part.replace(liveness_file, str(path)) for part in worker[probe]["exec"]["command"]]
        return subprocess.run(command, check=False).returncode == 0  # noqa: S603 - the manifest's own command

    assert passes("readinessProbe") is ready
    assert passes("livenessProbe") is alive


@BUILDS
def test_the_workers_consume_every_queue_of_the_routing_each_queue_once(directory):
    documents = built(directory)
    prefix = config_data(directory)["CELERY_QUEUE"]
    consumed: dict[str, list[str]] = {}
    for name, deployment in deployments_running(documents, "worker").items():
        command = command_of(deployment["spec"]["template"]["spec"]["containers"][0])
        for queue in option(command, "-Q").replace("$(CELERY_QUEUE)", prefix).split(","):
            consumed.setdefault(queue, []).append(name)
        assert "--liveness-file" in command, f"{name}: its probes read the liveness file"

    assert set(consumed) == set(all_queues(prefix))
    assert all(len(names) == 1 for names in consumed.values()), consumed
    assert consumed[f"{prefix}.payouts"] == ["worker-payouts"]
    payouts = deployments_running(documents, "worker")["worker-payouts"]
    assert option(command_of(payouts["spec"]["template"]["spec"]["containers"][0]), "-Q").count(",") == 0


@BUILDS
def test_exactly_one_beat_runs_and_a_rollout_stops_it_before_starting_the_next(directory):
    documents = built(directory)
    beats = deployments_running(documents, "beat")
    autoscaled = {hpa["spec"]["scaleTargetRef"]["name"] for hpa in named(documents, "HorizontalPodAutoscaler").values()}

    assert list(beats) == ["beat"]
    assert beats["beat"]["spec"]["replicas"] == 1
    assert beats["beat"]["spec"]["strategy"] == {"type": "Recreate"}
    assert "beat" not in autoscaled


@BUILDS
def test_web_and_workers_scale_by_autoscalers_and_have_disruption_budgets(directory):
    documents = built(directory)
    deployments = named(documents, "Deployment")
    autoscalers = named(documents, "HorizontalPodAutoscaler")
    budgets = named(documents, "PodDisruptionBudget")

    for name in AUTOSCALED_COMPONENTS:
        deployment = deployments[name]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert "replicas" not in deployment["spec"], f"{name}: its autoscaler owns the replica count"
        assert autoscalers[name]["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name,
        }
        assert 1 <= autoscalers[name]["spec"]["minReplicas"] <= autoscalers[name]["spec"]["maxReplicas"]
        selector = budgets[name]["spec"]["selector"]["matchLabels"]
        assert selector.items() <= labels.items(), f"{name}: the disruption budget selects no pod of it"
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert budgets["web"]["spec"]["minAvailable"] >= 1
    assert autoscalers["web"]["spec"]["minReplicas"] >= 2, "one web pod is no budget for a rollout or a drain"


@BUILDS
def test_the_ingress_reaches_the_web_pods_through_the_service(directory):
    documents = built(directory)
    ingress = named(documents, "Ingress")["web"]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    service = named(documents, "Service")[backend["name"]]
    web = named(documents, "Deployment")["web"]["spec"]["template"]
    ports = {port["name"] for port in web["spec"]["containers"][0]["ports"]}

    assert backend["port"]["name"] in {port["name"] for port in service["spec"]["ports"]}
    assert {port["targetPort"] for port in service["spec"]["ports"]} <= ports
    assert service["spec"]["selector"].items() <= web["metadata"]["labels"].items()
    assert ingress["spec"]["tls"][0]["hosts"] == [ingress["spec"]["rules"][0]["host"]]


def test_the_migration_job_migrates_and_creates_the_bucket_as_docker_compose_does():
    job = named(built(PRODUCTION), "Job")["migrate"]["spec"]
    command = " ".join(command_of(job["template"]["spec"]["containers"][0]))
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["migrate"]["command"]

    assert "python manage.py migrate --no-input" in command
    assert "python manage.py ensure_buckets" in command
    assert compose[-1] in command
    assert job["template"]["spec"]["restartPolicy"] == "Never"
    assert job["activeDeadlineSeconds"] > 0
