#!/bin/bash
set -euo pipefail
apt-get update
apt-get install -y unzip
curl -fsSLo /tmp/vault.zip "https://releases.hashicorp.com/vault/${version}/vault_${version}_linux_amd64.zip"
unzip -o /tmp/vault.zip -d /usr/local/bin
mkdir -p /opt/vault/data
cat > /etc/vault.hcl <<'HCL'
storage "file" {
  path = "/opt/vault/data"
}
listener "tcp" {
  address     = "0.0.0.0:8200"
  tls_disable = 1
}
HCL
systemctl enable --now vault
