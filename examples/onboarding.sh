#!/usr/bin/env bash
# Bulk onboarding: preview, then import people and resources from CSV in one transaction each.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
accessctl() { "$here/../bin/accessctl" "$@"; }
if [ -z "${ACCESSCTL_HOME:-}" ]; then
  ACCESSCTL_HOME=$(mktemp -d)
  trap 'rm -rf "$ACCESSCTL_HOME"' EXIT
fi
export ACCESSCTL_HOME
# Reads, a dry run among them, never create a store: create it first (idempotent).
accessctl -q db init >/dev/null

accessctl -f csv user import --dry-run "$here/onboarding-users.csv"
accessctl -f csv --columns line,action,name user import "$here/onboarding-users.csv"
accessctl -f csv --columns line,action,name resource import "$here/onboarding-resources.csv"
# Running it again changes nothing.
accessctl -q user import "$here/onboarding-users.csv"
accessctl -f csv --columns email,role user list
