"""NGX: nginx."""

from preflight.model import FileKind as K
from preflight_rules import COMMAND_KINDS  # noqa: F401

RULES: dict = {
    "NGX001": ("ngx.ngx001_tls_bootstrap_deadlock", (K.NGINX,), True),
}
