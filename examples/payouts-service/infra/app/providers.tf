terraform {
  required_version = ">= 1.6"
  required_providers {
    digitalocean = {
      source  = "digitalocean/digitalocean"
      version = "~> 2.44"
    }
    vault = {
      source  = "hashicorp/vault"
      version = "~> 4.4"
    }
  }
}

provider "vault" {
  address = var.vault_addr
}

data "vault_generic_secret" "digitalocean" {
  path = "secret/infra/digitalocean"
}

provider "digitalocean" {
  token = data.vault_generic_secret.digitalocean.data["token"]
}
