"""TF: Terraform."""

from preflight.model import FileKind as K

RULES = {
    "TF001": ("tf.tf001_stateful_resource_without_prevent_destroy", (K.TERRAFORM,), True),
    "TF002": ("tf.tf002_vault_provider_bootstrap_cycle", (K.TERRAFORM,), True),
    "TF003": ("tf.tf003_stateful_service_on_ephemeral_disk", (K.TERRAFORM,), True),
}
