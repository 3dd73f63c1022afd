#!/usr/bin/env bash
# A quarterly access review: freeze who can reach a database, let the security team keep or
# revoke each grant in a spreadsheet, close it, and keep the evidence with a checkpoint of the
# audit log. Runs on a throwaway store unless ACCESSCTL_HOME is set (then in its own session
# store, ReviewDemo, beside the caller's).
#
# Who is acting is the login. On a bastion, people run accessctl through sudo as the store's owner
# (sudo -u accessctl accessctl ...), and sudo sets SUDO_USER to who they are; `as` stands for that.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
accessctl() { "$here/../bin/accessctl" -s ReviewDemo "$@"; }
as() { local who=$1; shift; SUDO_USER=$who accessctl "$@"; }
work=$(mktemp -d)
if [ -z "${ACCESSCTL_HOME:-}" ]; then
  ACCESSCTL_HOME=$(mktemp -d)
  trap 'rm -rf "$ACCESSCTL_HOME" "$work"' EXIT
else
  trap 'rm -rf "$work"' EXIT
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
# Sets one column of the rows whose `subject` is $1 in a review's CSV (a spreadsheet's work).
fill() {
  awk -F, -v OFS=, -v who="$1" -v d="$2" -v why="$3" '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; print; next }
    who == "*" || $col["subject"] == who { $col["decision"] = d; $col["reason"] = why }
    { print }'
}
column() { awk -F, -v name="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next } { print $c; exit }'; }

step "The admin: four people and their logins, a database, who reaches it, and who reviews"
for who in grace ada bob dave; do
  accessctl -q user create -e $who@example.com --if-not-exists >/dev/null
  accessctl -q user update $who@example.com --login $who >/dev/null
done
accessctl -q resource create -n orders-db -a db.orders.internal --tcp 5432 --if-not-exists >/dev/null
accessctl -q group create -g orders-db-access -r orders-db -u grace@example.com,ada@example.com,bob@example.com --if-not-exists >/dev/null
accessctl -q group create -g security -u bob@example.com,dave@example.com --if-not-exists >/dev/null
accessctl -q service create -n etl -r orders-db --if-not-exists >/dev/null

step "The quarter starts: who can reach orders-db, frozen; security decides within 14 days"
rev=$(accessctl -q review start -r orders-db --reviewers security --due 14d --name "2026 Q4 orders-db")
echo "$rev" >&2
accessctl -f csv --columns item,kind,owner,subject,gives review show "$rev"

step "The sheet: exported, decided in a spreadsheet (ada left, etl is replaced), sent back by bob"
accessctl -f csv review export "$rev" > "$work/sheet.csv"
fill '*' keep "still needed" < "$work/sheet.csv" | fill ada@example.com revoke "left in November" | fill etl revoke "replaced by etl-v2" > "$work/decided.csv"
cut -d, -f13- "$work/decided.csv" >&2

step "bob's own row is in it: the whole file is refused, nothing decided (exit 5)"
expect_exit 5 as bob -q review decide "$rev" --file "$work/decided.csv"

step "bob leaves his row empty; dave decides it"
fill bob@example.com "" "" < "$work/decided.csv" > "$work/decided-by-bob.csv"
as bob -q review decide "$rev" --file "$work/decided-by-bob.csv" >/dev/null
bob_item=$(accessctl -f csv --columns item,subject --no-header review show "$rev" | sed -n 's/^\([0-9]*\),bob@example.com$/\1/p')
as dave -q review decide "$rev" "$bob_item" --keep --reason "security lead" >/dev/null

step "Meanwhile the data team re-grants etl for 30 days: a change the review did not see"
accessctl -q service add-resources -i etl -r orders-db --ttl 30d >/dev/null

step "dave closes it: ada's membership goes, etl's newer grant is left alone and reported"
as dave -y review close "$rev" >/dev/null
expect_exit 5 accessctl -q access check --user ada@example.com -r orders-db
accessctl -q access check --service etl -r orders-db >/dev/null

step "The evidence, and a checkpoint of the log taken at the close, kept together"
accessctl -f csv review export "$rev" > "$work/2026-q4-orders-db.csv"
head -n 2 "$work/2026-q4-orders-db.csv" | cut -d, -f1-12
cut -d, -f13- "$work/2026-q4-orders-db.csv"
accessctl audit checkpoint >> "$work/checkpoints.ndjson"
accessctl -q audit verify --checkpoint "$work/checkpoints.ndjson"

step "The auditor: the close in the export is the review.close event in the log"
seq=$(column closedSeq < "$work/2026-q4-orders-db.csv")
hash=$(column closedHash < "$work/2026-q4-orders-db.csv")
close=$(accessctl -f csv --columns seq,action,hash audit list --target "$rev" | tail -n 1)
echo "$close" >&2
[ "$close" = "$seq,review.close,$hash" ]
grep -q "\"seq\":$seq,\"hash\":\"$hash\"" "$work/checkpoints.ndjson"

step "The cron line: nothing open past its due time (exit 0; 7 when there is)"
accessctl -q review list --overdue --fail-if-any
accessctl db check >/dev/null
