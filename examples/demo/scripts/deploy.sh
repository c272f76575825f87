#!/usr/bin/env bash
# Deploy the ledger API on the droplet. Run from the repository root.
set -euo pipefail

APP_DIR=/srv/ledger-api
cp docker-compose.yml docker-compose.prod.yml "$APP_DIR/"
cd "$APP_DIR"

docker-compose pull
docker-compose -f docker-compose.yml -f docker-compose.prod.yml up -d --remove-orphans
docker image prune -f
