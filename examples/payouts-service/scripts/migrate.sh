#!/usr/bin/env bash
# Schema changes go through Alembic.
set -euo pipefail
cd "$(dirname "$0")/.."
alembic upgrade head
