"""The Kubernetes manifests in deploy/k8s validate offline and say what operations needs.

kubernetes-validate (requirements-dev.txt) ships the Kubernetes JSON schemas, so the check
needs no cluster and no network. Strict mode rejects unknown fields, which catches the
misspelt key that a plain YAML parse would let through (`livenesProbe`).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from django.urls import resolve

from conftest import BASE_DIR
from core import views

K8S_DIR = BASE_DIR / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30"  # the oldest release the manifests are meant for
SECRET_TEMPLATE = "secret.example.yaml"


def load(path: Path) -> list[dict]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document]


MANIFEST_FILES = sorted(path for path in K8S_DIR.glob("*.yaml") if path.name != "kustomization.yaml")
RESOURCES = [(path.name, resource) for path in MANIFEST_FILES for resource in load(path)]


def resource(kind: str, name: str) -> dict:
    [found] = [r for _, r in RESOURCES if r["kind"] == kind and r["metadata"]["name"] == name]
    return found


def deployment(component: str) -> dict:
    return resource("Deployment", f"helpdesk-{component}")


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def containers(workload: dict, *, init: bool = True) -> list[dict]:
    spec = pod_spec(workload)
    return spec["containers"] + (spec.get("initContainers", []) if init else [])


WORKLOADS = [r for _, r in RESOURCES if r["kind"] in {"Deployment", "Job"}]
CONFIG = resource("ConfigMap", "helpdesk-config")["data"]


@pytest.mark.parametrize(
    ("filename", "manifest"),
    RESOURCES,
    ids=[f"{filename}:{r['kind']}/{r['metadata']['name']}" for filename, r in RESOURCES],
)
def test_every_manifest_validates_against_the_kubernetes_schema(filename, manifest):
    kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize(
    "break_it",
    [
        pytest.param(lambda d: d["spec"].update(replicas="two"), id="wrong type"),
        pytest.param(
            lambda d: pod_spec(d)["containers"][0].update(livenesProbe=pod_spec(d)["containers"][0]["livenessProbe"]),
            id="misspelt field",
        ),
        pytest.param(lambda d: pod_spec(d).pop("containers"), id="required field missing"),
        pytest.param(lambda d: pod_spec(d)["containers"][0]["ports"][0].update(containerPort="http"), id="bad port"),
    ],
)
def test_a_broken_manifest_fails_validation(break_it):
    broken = copy.deepcopy(deployment("web"))
    break_it(broken)

    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_kustomization_lists_every_manifest_but_the_secret_template():
    kustomization = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text())

    listed = set(kustomization["resources"])
    assert listed == {path.name for path in MANIFEST_FILES} - {SECRET_TEMPLATE}


def test_the_secret_is_a_template_with_placeholders_only():
    secret = resource("Secret", "helpdesk-secrets")

    assert "data" not in secret  # base64 would hide what is in it
    for key, value in secret["stringData"].items():
        assert value == "" or "CHANGE_ME" in value, f"{key} holds something that looks like a real value"
    assert secret["stringData"]["SECRET_KEY"] == ""  # the app refuses to start without one


def test_beat_runs_exactly_one_replica_and_never_two_during_a_rollout():
    beat = deployment("beat")

    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    assert "HorizontalPodAutoscaler" not in {r["kind"] for _, r in RESOURCES}


def test_web_runs_gunicorn_with_the_projects_config():
    [web] = containers(deployment("web"), init=False)

    assert web["command"] == ["gunicorn", "-c", "gunicorn.conf.py", "helpdesk.wsgi"]
    assert (BASE_DIR / "gunicorn.conf.py").exists()


def test_web_probes_liveness_on_the_cheap_endpoint_and_readiness_on_the_full_check():
    [web] = containers(deployment("web"), init=False)

    assert resolve(web["livenessProbe"]["httpGet"]["path"]).func is views.health_live
    assert resolve(web["startupProbe"]["httpGet"]["path"]).func is views.health_live
    assert resolve(web["readinessProbe"]["httpGet"]["path"]).func is views.health
    # /api/health bounds each check by HEALTH_CHECK_TIMEOUT; the probe must wait longer.
    assert web["readinessProbe"]["timeoutSeconds"] > float(CONFIG["HEALTH_CHECK_TIMEOUT"])
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        [host] = [h["value"] for h in web[probe]["httpGet"]["httpHeaders"] if h["name"] == "Host"]
        assert host in CONFIG["ALLOWED_HOSTS"].split(","), probe


def test_every_long_running_container_has_a_liveness_probe():
    for component in ("web", "worker", "beat"):
        for container in containers(deployment(component), init=False):
            assert container.get("livenessProbe"), f"{component}/{container['name']}"


def test_every_container_has_resource_requests_and_limits():
    for workload in WORKLOADS:
        for container in containers(workload):
            where = f"{workload['metadata']['name']}/{container['name']}"
            assert set(container["resources"]["requests"]) >= {"cpu", "memory"}, where
            assert set(container["resources"]["limits"]) >= {"cpu", "memory"}, where


def seconds_of_sleep(container: dict) -> int:
    command = container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
    return int(command[1]) if command[:1] == ["sleep"] else 0


def test_web_grace_period_covers_the_pre_stop_sleep_and_gunicorns_graceful_timeout():
    web = deployment("web")
    [container] = containers(web, init=False)

    needed = seconds_of_sleep(container) + int(CONFIG["GUNICORN_GRACEFUL_TIMEOUT"])
    assert seconds_of_sleep(container) > 0
    assert pod_spec(web)["terminationGracePeriodSeconds"] > needed
    # Requests may run up to GUNICORN_TIMEOUT; the graceful timeout is what SIGTERM grants.
    assert int(CONFIG["GUNICORN_GRACEFUL_TIMEOUT"]) <= int(CONFIG["GUNICORN_TIMEOUT"])


def test_worker_grace_period_lets_a_running_task_reach_its_hard_time_limit():
    worker = deployment("worker")

    assert pod_spec(worker)["terminationGracePeriodSeconds"] > int(CONFIG["CELERY_TASK_TIME_LIMIT"])
    assert int(CONFIG["CELERY_TASK_SOFT_TIME_LIMIT"]) < int(CONFIG["CELERY_TASK_TIME_LIMIT"])


def test_web_concurrency_is_set_rather_than_taken_from_the_nodes_cpu_count():
    assert int(CONFIG["WEB_CONCURRENCY"]) >= 1


def test_every_workload_reads_the_config_map_and_the_secret():
    for workload in WORKLOADS:
        for container in containers(workload):
            sources = {next(iter(ref.values()))["name"] for ref in container["envFrom"]}
            assert sources == {"helpdesk-config", "helpdesk-secrets"}, container["name"]


def test_every_variable_in_the_config_map_and_secret_is_one_the_app_reads():
    documented = set(re.findall(r"^([A-Z_]+)=", (BASE_DIR / ".env.example").read_text(), re.MULTILINE))
    secret = resource("Secret", "helpdesk-secrets")["stringData"]

    assert set(CONFIG) - documented == set()
    assert set(secret) - documented == set()
    assert not set(CONFIG) & set(secret)


def test_web_and_worker_share_the_media_volume_at_media_root():
    for component in ("web", "worker"):
        spec = pod_spec(deployment(component))
        [container] = spec["containers"]
        [mount] = [m for m in container["volumeMounts"] if m["mountPath"] == CONFIG["MEDIA_ROOT"]]
        [volume] = [v for v in spec["volumes"] if v["name"] == mount["name"]]
        assert volume["persistentVolumeClaim"]["claimName"] == "helpdesk-media"
    assert resource("PersistentVolumeClaim", "helpdesk-media")["spec"]["accessModes"] == ["ReadWriteMany"]


def test_selectors_match_the_pods_they_are_meant_for():
    for component in ("web", "worker", "beat"):
        workload = deployment(component)
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert workload["spec"]["selector"]["matchLabels"].items() <= labels.items()
        assert labels["app.kubernetes.io/component"] == component
    web_labels = deployment("web")["spec"]["template"]["metadata"]["labels"]
    assert resource("Service", "helpdesk-web")["spec"]["selector"].items() <= web_labels.items()
    assert (
        resource("PodDisruptionBudget", "helpdesk-web")["spec"]["selector"]["matchLabels"].items() <= web_labels.items()
    )


def test_migrations_run_in_a_job_and_the_app_waits_for_them():
    job = resource("Job", "helpdesk-migrate")
    [migrate] = containers(job)
    assert migrate["command"] == ["python", "manage.py", "migrate", "--no-input"]
    assert pod_spec(job)["restartPolicy"] == "Never"
    for component in ("web", "worker", "beat"):
        [wait] = pod_spec(deployment(component))["initContainers"]
        assert "migrate --check" in " ".join(wait["command"]), component
