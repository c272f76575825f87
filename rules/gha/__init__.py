"""GHA: GitHub Actions."""

from preflight.model import FileKind as K

RULES = {
    "GHA001": ("gha.gha001_secret_name_typo", (K.WORKFLOW, K.ACTION), True),
    "GHA002": ("gha.gha002_undocumented_secret", (K.WORKFLOW, K.ACTION, K.MARKDOWN, K.DOTENV), True),
    "GHA003": ("gha.gha003_gpg_signing_in_ci", (K.WORKFLOW, K.ACTION), True),
}
