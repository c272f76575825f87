"""PY: Python application code."""

from preflight.model import FileKind as K

RULES = {
    "PY001": ("py.py001_float_money_column", (K.PYTHON,), True),
    "PY002": ("py.py002_raw_sql_execute", (K.PYTHON,), True),
    "PY003": ("py.py003_sql_interpolated_into_text", (K.PYTHON,), True),
    "PY004": ("py.py004_secret_config_default", (K.PYTHON,), True),
    "PY005": ("py.py005_cwd_relative_dotenv", (K.PYTHON,), True),
    "PY006": ("py.py006_unsafe_yaml_load", (K.PYTHON,), True),
    "PY007": ("py.py007_unvalidated_config_load", (K.PYTHON,), False),
    "PY008": ("py.py008_telegram_markdownv2_unescaped", (K.PYTHON,), True),
    "PY009": ("py.py009_sys_modules_mock_leak", (K.PYTHON,), True),
    "PY010": ("py.py010_sqlalchemy_func_as_type", (K.PYTHON,), True),
    "PY011": ("py.py011_daemon_unresponsive_sleep", (K.PYTHON,), True),
    "PY012": ("py.py012_postgres_url_scheme", (K.PYTHON, K.INI, K.FLY_TOML, K.PROCFILE), True),
    "PY013": ("py.py013_broken_internal_import", (K.PYTHON, K.REQUIREMENTS, K.PYPROJECT, K.POETRY_LOCK), True),
    "PY014": ("py.py014_create_all_bypasses_migrations", (K.PYTHON, K.INI), True),
    "PY015": ("py.py015_fixed_retry_on_rate_limit", (K.PYTHON,), True),
}
