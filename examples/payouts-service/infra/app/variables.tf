variable "vault_addr" {
  type        = string
  description = "Address of the Vault that holds the infrastructure secrets"
  default     = "https://vault.payouts.internal:8200"
}

variable "region" {
  type    = string
  default = "fra1"
}

variable "app_count" {
  type    = number
  default = 2
}
