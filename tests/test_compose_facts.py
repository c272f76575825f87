"""The compose model (rules/compose/facts.py): merging, positions, extends, image names."""

from __future__ import annotations

from pathlib import Path

from conftest import check, write
from preflight.discover import discover
from preflight.facts import Repository
from preflight_rules.compose.facts import compose_model, is_local_only_path, normalise_image


def model(root: Path) -> dict[tuple[str, ...], dict]:
    repo = Repository(str(root), discover(str(root)).files)
    return {c.files: c.services for c in repo.fact(compose_model)}


def test_override_merges_into_the_base_and_merge_keys_keep_their_lines(tmp_path: Path) -> None:
    write(tmp_path, {
        "docker-compose.yml": "x-db: &db\n  image: postgres:16\n  environment:\n    PGDATA: /pg\n"
                              "services:\n  db:\n    <<: *db\n    volumes: [a:/pg]\n",
        "docker-compose.override.yml": "services:\n  db:\n    environment:\n      - POSTGRES_DB=app\n"
                                       "    volumes:\n      - b:/other\n",
    })
    [(files, services)] = model(tmp_path).items()
    assert files == ("docker-compose.yml", "docker-compose.override.yml")
    db = services["db"]
    assert (db.image.text, db.image.span.line, db.image.span.column) == ("postgres:16", 2, 10)
    assert {k: (v.text, v.span.path, v.span.line, v.span.column) for k, v in db.environment.items()} == {
        "PGDATA": ("/pg", "docker-compose.yml", 4, 13),
        "POSTGRES_DB": ("app", "docker-compose.override.yml", 4, 21)}
    assert sorted(db.mounts) == ["/other", "/pg"]


def test_partial_overlay_joins_the_base_and_a_complete_file_stands_alone(tmp_path: Path) -> None:
    write(tmp_path, {
        "docker-compose.yml": "services:\n  db:\n    image: postgres:16\n",
        "docker-compose.prod.yml": "services:\n  db:\n    volumes: [pg:/var/lib/postgresql/data]\n",
        "docker-compose.ci.yml": "services:\n  db:\n    image: postgres:16\n",
    })
    configurations = model(tmp_path)
    assert sorted(configurations) == [("docker-compose.ci.yml",), ("docker-compose.yml",),
                                      ("docker-compose.yml", "docker-compose.prod.yml")]
    assert configurations[("docker-compose.yml", "docker-compose.prod.yml")]["db"].image.text == "postgres:16"


def test_extends_is_followed_across_files_and_cycles_stop(tmp_path: Path) -> None:
    write(tmp_path, {
        "compose.yaml": "services:\n  a:\n    extends: {file: base.yml, service: a}\n"
                        "  loop1:\n    extends: loop2\n  loop2:\n    extends: loop1\n    image: x\n",
        "base.yml": "services:\n  a:\n    image: vault\n    healthcheck: {test: [CMD, true]}\n",
    })
    services = model(tmp_path)[("compose.yaml",)]
    assert services["a"].image.text == "vault" and services["a"].image.span.path == "base.yml"
    assert services["a"].has_healthcheck
    assert services["loop1"].image.text == "x"


def test_disabled_healthcheck_is_none(tmp_path: Path) -> None:
    write(tmp_path, {"compose.yaml": "services:\n  a:\n    image: x\n    healthcheck:\n      disable: true\n"
                                     "  b:\n    image: x\n    healthcheck:\n      test: [NONE]\n"})
    services = model(tmp_path)[("compose.yaml",)]
    assert (services["a"].has_healthcheck, services["b"].has_healthcheck) == (False, False)


def test_image_names_lose_registry_tag_and_digest() -> None:
    assert normalise_image("docker.io/library/postgres:16") == "postgres"
    assert normalise_image("postgres@sha256:abc") == "postgres"
    assert normalise_image("quay.io/minio/minio:RELEASE.2024") == "minio/minio"
    assert normalise_image("localhost:5000/bitnami/postgresql:16") == "bitnami/postgresql"
    assert normalise_image("hashicorp/vault:1.15") == "hashicorp/vault"


def test_local_only_files() -> None:
    local = ["docker-compose.override.yml", "compose.override.yaml", "docker-compose.dev.yml", "fly.local.toml",
             "scripts/run-local.sh", ".env.local", "deploy-dev.sh"]
    deployed = ["docker-compose.yml", "docker-compose.prod.yml", "scripts/deploy.sh", ".env", "devices.sh",
                "k8s/localization.yaml"]
    assert [p for p in local if not is_local_only_path(p)] == []
    assert [p for p in deployed if is_local_only_path(p)] == []


def test_dc004_option_extends_the_image_table(tmp_path: Path) -> None:
    write(tmp_path, {"compose.yaml": "services:\n  ledger:\n    image: ghcr.io/acme/ledger:1\n"})
    assert check(tmp_path, select=["DC004"]).findings == []
    rules = {"DC004": {"extend-images": {"acme/ledger": ["/srv/ledger"]}}}
    [finding] = check(tmp_path, select=["DC004"], rules=rules).findings
    assert (finding.span.line, finding.span.column) == (3, 12)
    assert "no volume at /srv/ledger" in finding.message


def test_dc005_points_each_duplicate_at_the_other(tmp_path: Path) -> None:
    write(tmp_path, {
        "a/compose.yaml": "services:\n  api:\n    image: x\n    labels:\n      - traefik.http.routers.r.rule=Host(`a`)\n",
        "b/compose.yaml": "services:\n  web:\n    image: y\n    labels:\n      traefik.http.routers.r.rule: Host(`b`)\n",
    })
    messages = [(f.path, f.span.line, f.message.split(";")[0]) for f in check(tmp_path, select=["DC005"]).findings]
    assert messages == [
        ("a/compose.yaml", 5, "http router `r` is also defined by service `web` at b/compose.yaml:5"),
        ("b/compose.yaml", 5, "http router `r` is also defined by service `api` at a/compose.yaml:5")]
