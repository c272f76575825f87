locals {
  tags = ["payouts", "production"]
}

resource "digitalocean_droplet" "app" {
  count     = var.app_count
  name      = "payouts-app-${count.index}"
  image     = "docker-20-04"
  region    = var.region
  size      = "s-2vcpu-4gb"
  tags      = local.tags
  user_data = file("${path.module}/cloud-init/app.yaml")
}

resource "digitalocean_volume" "postgres" {
  name                    = "payouts-postgres"
  region                  = var.region
  size                    = 100
  initial_filesystem_type = "ext4"
  description             = "PostgreSQL data for the payouts ledger"
}

resource "digitalocean_droplet" "db" {
  name      = "payouts-db"
  image     = "ubuntu-24-04-x64"
  region    = var.region
  size      = "s-4vcpu-8gb"
  tags      = local.tags
  user_data = <<-EOT
    #cloud-config
    packages:
      - postgresql-16
    runcmd:
      - systemctl enable --now postgresql
  EOT
}

resource "digitalocean_volume_attachment" "postgres" {
  droplet_id = digitalocean_droplet.db.id
  volume_id  = digitalocean_volume.postgres.id
}

resource "digitalocean_spaces_bucket" "backups" {
  name   = "payouts-db-backups"
  region = "fra1"

  lifecycle {
    prevent_destroy = true
  }
}

resource "digitalocean_spaces_bucket" "assets" {
  name   = "payouts-static-assets"
  region = "fra1"
}
