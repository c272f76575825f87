"""The example repositories show the rules firing where they should and nowhere else."""

from __future__ import annotations

import re

from conftest import REPO, check
from preflight.config import find_config, load_settings
from preflight.registry import builtin_registry

SERVICE = REPO / "examples" / "payouts-service"


def findings(root, **settings) -> list[tuple[str, int, str]]:  # noqa: ANN001
    config = find_config(str(root))
    assert config == str(root / "pyproject.toml"), "the example carries its own settings"
    base = load_settings(config)
    base.extend_select = list(settings.get("extend_select", []))
    from preflight.engine import run_check
    from preflight.registry import load_registry

    result = run_check(str(root), base, load_registry(plugins=False))
    return [(f.path, f.span.line, f.rule_id) for f in result.findings]


def test_the_fastapi_service_shows_each_python_migration_and_terraform_rule_once_where_planted() -> None:
    assert findings(SERVICE) == [
        ("app/api/routes.py", 8, "PY013"),  # get_api_key is gone from app.services.auth
        ("app/config.py", 11, "PY004"),  # database_url has a default
        ("app/config.py", 11, "PY012"),  # ... with the postgres:// scheme
        ("app/config.py", 12, "PY004"),  # secret_key = "changeme"
        ("app/main.py", 8, "PY005"),  # load_dotenv(".env")
        ("app/main.py", 21, "PY014"),  # create_all() next to Alembic
        ("app/models.py", 30, "PY001"),  # balance: Float
        ("app/models.py", 45, "MIG002"),  # Payout.note is in no migration
        ("app/notify.py", 22, "PY008"),  # MarkdownV2 with an unescaped owner
        ("app/prices.py", 17, "PY015"),  # 429 -> time.sleep(30)
        ("app/reports.py", 10, "PY010"),  # cast(..., func.Integer)
        ("app/repository.py", 25, "PY002"),  # db.execute(f"SELECT ...")
        ("app/repository.py", 29, "PY003"),  # text(f"... '{prefix}%'")
        ("app/rules_loader.py", 12, "PY006"),  # yaml.load(Loader=yaml.Loader)
        ("app/worker.py", 27, "PY011"),  # while True: await asyncio.sleep(interval)
        ("infra/app/main.tf", 15, "TF001"),  # the database volume
        ("infra/app/providers.tf", 24, "TF002"),  # DigitalOcean token from Vault
        ("infra/vault-node/main.tf", 19, "TF003"),  # Vault on a droplet without a volume
        ("migrations/versions/0001_accounts_and_payouts.py", 22, "PY001"),  # still Float after 0002-0003
        ("migrations/versions/0003_payout_status_paid.py", 17, "MIG001"),  # in the transaction
        ("migrations/versions/0003_payout_status_paid.py", 17, "MIG001"),  # without IF NOT EXISTS
        ("scripts/hotfix.sh", 4, "MIG003"),  # ALTER TABLE piped into psql
        ("tests/conftest.py", 7, "PY009"),  # sys.modules["telegram"] = MagicMock()
    ]


def test_the_opt_in_heuristic_reports_the_unvalidated_config_load() -> None:
    extra = set(findings(SERVICE, extend_select=["PY007"])) - set(findings(SERVICE))
    assert extra == {("app/rules_loader.py", 12, "PY007")}


def test_every_rule_of_the_python_pack_fires_in_the_service() -> None:
    fired = {rule for _, _, rule in findings(SERVICE, extend_select=["PY007"])}
    pack = {i for i in builtin_registry().ids() if re.match(r"^(TF|PY|MIG)\d{3}$", i)}
    assert len(pack) == 21
    assert pack <= fired


def test_the_example_is_clean_for_the_ci_and_container_rules() -> None:
    result = check(SERVICE, select=["TOOL", "DC", "GHA", "DKR", "DEP", "SEC", "NGX", "FLY"])
    assert result.findings == []
