#!/usr/bin/env bash
# A CI pipeline gets machine access: a service, a resource, a key verified from stdin,
# a rotation with overlap, and the old key revoked. Tokens only ever travel through pipes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
accessctl() { "$here/../bin/accessctl" "$@"; }
# Runs on a throwaway store unless ACCESSCTL_HOME is already set. Only what this script created
# is removed when it ends: a store directory the caller passed in is the caller's.
own_home=
if [ -z "${ACCESSCTL_HOME:-}" ]; then
  ACCESSCTL_HOME=$(mktemp -d)
  own_home=$ACCESSCTL_HOME
fi
export ACCESSCTL_HOME
secrets=$(mktemp -d)
chmod 700 "$secrets"
trap 'rm -rf "$secrets" ${own_home:+"$own_home"}' EXIT
step() { printf '\n# %s\n' "$*" >&2; }

step "A service for the pipeline, with the artifact store it deploys to"
accessctl -q resource create -n artifact-store -a artifacts.internal --tcp 443 >/dev/null
accessctl -f csv service create -n ci-pipeline --description "deploys from main" -r artifact-store

step "Issue a key; the token is printed once, straight into a 0600 file"
(umask 077 && accessctl -q key create -i ci-pipeline -n github-actions -e 90 > "$secrets/key.token")
old=$(accessctl -q key list --service ci-pipeline)

step "The pipeline verifies its token (stdin, never argv) and checks its access"
accessctl -f csv key verify < "$secrets/key.token"
accessctl -f csv access check --token-stdin -r artifact-store --port 443 < "$secrets/key.token"

step "A short-lived token for one job"
(umask 077 && accessctl -q key exchange --ttl 15m < "$secrets/key.token" > "$secrets/job.token")
accessctl -f csv --columns valid,serviceName,expiresAt key verify < "$secrets/job.token"

step "Rotate with a one-hour overlap: both keys work until the old one runs out"
(umask 077 && accessctl -q key rotate -i "$old" -n github-actions-2 --overlap 1h > "$secrets/new.token")
accessctl -f csv --columns valid key verify < "$secrets/new.token"

step "Revoke the old key now: its token and the job token die at once"
accessctl -f csv --columns id,name,status key revoke -i "$old"
set +e
accessctl -q key verify < "$secrets/key.token"; old_code=$?
accessctl -q key verify < "$secrets/job.token"; job_code=$?
set -e
echo "old key: exit $old_code, job token: exit $job_code" >&2
[ "$old_code" -eq 5 ] && [ "$job_code" -eq 5 ]
accessctl -f csv --columns name,status,expiresAt key list --service ci-pipeline
