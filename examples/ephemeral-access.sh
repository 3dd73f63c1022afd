#!/usr/bin/env bash
# The ephemeral-access flow: give two people a database for a while, then take it away.
# Runs on a throwaway store unless ACCESSCTL_HOME is already set.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
accessctl() { "$here/../bin/accessctl" "$@"; }
if [ -z "${ACCESSCTL_HOME:-}" ]; then
  ACCESSCTL_HOME=$(mktemp -d)
  trap 'rm -rf "$ACCESSCTL_HOME"' EXIT
fi
export ACCESSCTL_HOME
step() { printf '\n# %s\n' "$*" >&2; }

step "Two users and a resource (ids captured with -q)"
u1=$(accessctl -s BlackSnake -q user create -e ada@example.com --first Ada --last Lovelace)
u2=$(accessctl -s BlackSnake -q user create -e grace@example.com --first Grace --last Hopper)
r1=$(accessctl -s BlackSnake -q resource create -n prod-db -a db.prod.internal --tcp 5432)

step "Create the ephemeral group (CSV, as tgcli prints it)"
accessctl -s BlackSnake -f CSV group create -g "My Ephemeral Group" -u "$u1,$u2" -r "$r1" --ttl 2h
grp=$(accessctl -s BlackSnake -q group show -i "My Ephemeral Group")

step "Who can reach prod-db now?"
accessctl -s BlackSnake -f CSV access list -r "$r1"

step "Delete the group when the work is done"
accessctl -s BlackSnake -f CSV group delete -i "$grp"

step "The group is gone: an empty list, exit 3"
set +e
accessctl -s BlackSnake -f CSV group show -i "$grp"
code=$?
set -e
echo "exit code: $code" >&2
[ "$code" -eq 3 ]

step "And access is gone with it (exit 5)"
set +e
accessctl -s BlackSnake -f CSV access check --user "$u1" -r "$r1"
code=$?
set -e
echo "exit code: $code" >&2
[ "$code" -eq 5 ]

step "The audit log remembers, and its chain verifies"
accessctl -s BlackSnake -f CSV --columns seq,actor,action,targetId audit list
accessctl -s BlackSnake audit verify
