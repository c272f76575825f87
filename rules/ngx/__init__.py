"""NGX: nginx."""

from preflight.model import FileKind as K

RULES = {
    "NGX001": ("ngx.ngx001_tls_bootstrap_deadlock", (K.NGINX,), True),
}
