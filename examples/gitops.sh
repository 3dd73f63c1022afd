#!/usr/bin/env bash
# GitOps for access: the access file lives in git, CI tests and plans every pull request, a merge
# applies exactly the reviewed plan, and cron checks for drift (exit 7 = someone changed the store
# by hand). Runs on a throwaway store and a copy of examples/access.yaml unless ACCESSCTL_DB is set.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
accessctl() { "$here/../bin/accessctl" "$@"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ACCESSCTL_DB=${ACCESSCTL_DB:-$work/access.db}
export ACCESSCTL_ACTOR=${ACCESSCTL_ACTOR:-gitops}
file=$work/access.yaml
cp "$here/access.yaml" "$file"
step() { printf '\n# %s\n' "$*" >&2; }

step "Bootstrap: the first apply creates the store"
accessctl apply -f "$file" >/dev/null

step "Pull request: a new engineer joins the platform team"
sed -i.bak 's/^  - email: sam@example.com$/  - email: joan@example.com\n    firstName: Joan\n  - email: sam@example.com/' "$file"
sed -i.bak 's/members: \[ada@example.com, grace@example.com, linus@example.com, margaret@example.com\]/members: [ada@example.com, grace@example.com, joan@example.com, linus@example.com, margaret@example.com]/' "$file"

step "CI on the pull request: the file's tests against the state it declares (exit 5 fails the check)"
accessctl test -f "$file"

step "CI on the pull request: the plan, for review (exit 7 = changes pending, 5 = a test fails)"
set +e
accessctl plan -f "$file"
code=$?
set -e
case $code in
  0) echo "nothing to do" >&2 ;;
  7) echo "changes pending: post the plan on the pull request" >&2 ;;
  *) echo "plan failed with exit $code" >&2; exit "$code" ;;
esac
plan_id=$(accessctl -q plan -f "$file" || true)

step "On merge: apply exactly the reviewed plan (exit 4 if the store moved since)"
accessctl apply -f "$file" --plan "$plan_id" >/dev/null
accessctl -f json plan -f "$file" | grep -q '"create": 0'

step "Cron: drift check, nothing to report"
accessctl plan -f "$file" >/dev/null

step "Someone grants access by hand, behind the file's back"
accessctl user create -e mallory@example.com >/dev/null
accessctl group add-users -g oncall -u mallory@example.com >/dev/null

step "Cron: drift check (exit 7 = someone changed the store by hand)"
set +e
accessctl plan -f "$file"
code=$?
set -e
if [ "$code" -ne 7 ]; then echo "expected drift (exit 7), got $code" >&2; exit 1; fi
echo "drift found: alert, then re-apply the file to put the store back" >&2
accessctl apply -f "$file" >/dev/null
accessctl plan -f "$file" >/dev/null
accessctl access check --user mallory@example.com -r prod-db >/dev/null && { echo "mallory still has access" >&2; exit 1; }
echo "store matches the file again" >&2
