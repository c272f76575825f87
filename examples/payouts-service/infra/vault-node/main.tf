terraform {
  required_providers {
    digitalocean = {
      source  = "digitalocean/digitalocean"
      version = "~> 2.44"
    }
  }
}

variable "do_token" {
  type      = string
  sensitive = true
}

provider "digitalocean" {
  token = var.do_token
}

resource "digitalocean_droplet" "vault" {
  name      = "payouts-vault"
  image     = "ubuntu-24-04-x64"
  region    = "fra1"
  size      = "s-1vcpu-2gb"
  user_data = templatefile("${path.module}/install-vault.sh", { version = "1.18.2" })
}

resource "digitalocean_firewall" "vault" {
  name        = "payouts-vault"
  droplet_ids = [digitalocean_droplet.vault.id]

  inbound_rule {
    protocol         = "tcp"
    port_range       = "8200"
    source_addresses = ["10.110.0.0/20"]
  }
}
