#!/usr/bin/env bash
# Access requests with two people: grace asks for a group for two hours, bob approves, the grant
# starts at his approval and ends by itself. Runs on a throwaway store unless ACCESSCTL_HOME is
# set (then in its own session store, RequestDemo, beside the caller's).
#
# Who is acting is the login. On a bastion, people run accessctl through sudo as the store's owner
# (sudo -u accessctl accessctl ...), and sudo sets SUDO_USER to who they are; `as` stands for that.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
accessctl() { "$here/../bin/accessctl" -s RequestDemo "$@"; }
as() { local who=$1; shift; SUDO_USER=$who accessctl "$@"; }
if [ -z "${ACCESSCTL_HOME:-}" ]; then
  ACCESSCTL_HOME=$(mktemp -d)
  trap 'rm -rf "$ACCESSCTL_HOME"' EXIT
fi
export ACCESSCTL_HOME
step() { printf '\n# %s\n' "$*" >&2; }
expect_exit() {
  local want=$1; shift
  set +e
  "$@"
  local got=$?
  set -e
  echo "exit code: $got" >&2
  [ "$got" -eq "$want" ]
}

step "The admin: two people and their logins, a database, its approvers and a requestable group"
accessctl -q user create -e grace@example.com --if-not-exists >/dev/null
accessctl -q user create -e bob@example.com --if-not-exists >/dev/null
accessctl -q user update grace@example.com --login grace
accessctl -q user update bob@example.com --login bob
accessctl -q resource create -n orders-db -a db.orders.internal --tcp 5432 --if-not-exists >/dev/null
accessctl -q group create -g dba -u bob@example.com --if-not-exists >/dev/null
accessctl -q group create -g orders-db-access -r orders-db --if-not-exists >/dev/null
accessctl group update orders-db-access --requestable --approvers dba --max-duration 4h

step "grace asks for two hours"
req=$(as grace -q request create -g orders-db-access --for 2h --reason "INC-42: replica lag" --ticket INC-42)
echo "$req" >&2

step "She cannot approve it herself, whatever the log's actor says (exit 5)"
expect_exit 5 as grace --actor bob request approve "$req"

step "Nothing is granted while it waits (exit 5)"
expect_exit 5 accessctl -q access check --user grace@example.com -r orders-db

step "bob sees it waiting and approves: the two hours start now"
as bob -f csv --columns id,userEmail,groupName,duration,reason,state request list --pending
as bob -q request approve "$req" --reason "on call"
accessctl -f csv access check --user grace@example.com -r orders-db

step "Done early: grace ends it herself"
as grace -q -y request revoke "$req" --reason "fixed"
expect_exit 5 accessctl -q access check --user grace@example.com -r orders-db

step "The record: who asked, who approved, when, and the log that proves it"
accessctl -f csv --columns id,state,requestedBy,approvals,startsAt,expiresAt,decidedBy request show "$req"
accessctl -f csv --columns seq,actor,action,targetId audit list --action 'request.*'
accessctl db check >/dev/null
