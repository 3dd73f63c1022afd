import { existsSync, readFileSync } from 'node:fs';
import { StoreError } from '../../domain/errors.js';

/** The PostgreSQL schema's version, kept in table accessctl_schema; it moves with sqlite/schema.ts's. */
export const PG_LATEST_VERSION = 5;

/** Every table of the store; a database holding any other table of its own is not ours. */
export const STORE_TABLES = [
  'users',
  'resources',
  'groups',
  'services',
  'group_users',
  'group_resources',
  'group_services',
  'service_resources',
  'service_keys',
  'exchange_tokens',
  'requests',
  'reviews',
  'review_items',
  'settings',
  'audit_events',
] as const;

/** Forward migrations for PostgreSQL: PG_MIGRATIONS[n] takes a database from version n-1 to n. */
export const PG_MIGRATIONS: Record<number, () => string> = {
  // The append-only trigger on audit_events (schema.pg.sql's own text); run by the owner.
  3: auditAppendOnlySql,
  // A group's type may be SYNCED (group sync, SPEC section 14): the check is replaced, rows untouched.
  4: () => `ALTER TABLE groups DROP CONSTRAINT groups_type_check;
ALTER TABLE groups ADD CONSTRAINT groups_type_check CHECK (type IN ('MANUAL', 'SYSTEM', 'SYNCED'));
`,
  // Access requests (SPEC section 15), as SQLite's schema 4: three columns NULL on every row (the
  // catalog compares columns by name, so appending them matches schema.pg.sql's) and the requests
  // table; access reviews (SPEC section 16), reviews and review_items; a role db grant made reader
  // or writer gets on each new table what it has on users.
  5: () => `ALTER TABLE users ADD COLUMN login TEXT COLLATE "C";
CREATE UNIQUE INDEX users_login ON users (login) WHERE login IS NOT NULL;
ALTER TABLE groups ADD COLUMN request_policy TEXT COLLATE "C";
ALTER TABLE group_users ADD COLUMN starts_at BIGINT;
CREATE TABLE requests (
  id               TEXT COLLATE "C" PRIMARY KEY,
  group_id         TEXT COLLATE "C" NOT NULL,
  group_name       TEXT COLLATE "C" NOT NULL,
  user_id          TEXT COLLATE "C" NOT NULL,
  user_email       TEXT COLLATE "C" NOT NULL,
  requested_by     TEXT COLLATE "C" NOT NULL,
  duration_ms      BIGINT NOT NULL CHECK (duration_ms > 0),
  reason           TEXT COLLATE "C" NOT NULL DEFAULT '',
  ticket           TEXT COLLATE "C" NOT NULL DEFAULT '',
  break_glass      INTEGER NOT NULL CHECK (break_glass IN (0, 1)),
  state            TEXT COLLATE "C" NOT NULL CHECK (state IN ('PENDING', 'APPROVED', 'DENIED', 'CANCELLED', 'REVOKED')),
  start_at         BIGINT,
  pending_until    BIGINT NOT NULL,
  approvals_needed INTEGER NOT NULL CHECK (approvals_needed >= 1),
  approvals        TEXT COLLATE "C" NOT NULL DEFAULT '[]',
  starts_at        BIGINT,
  expires_at       BIGINT,
  decided_by       TEXT COLLATE "C",
  decided_at       BIGINT,
  decision_reason  TEXT COLLATE "C",
  reviewed_by      TEXT COLLATE "C",
  reviewed_at      BIGINT,
  review_reason    TEXT COLLATE "C",
  created_at       BIGINT NOT NULL,
  updated_at       BIGINT NOT NULL
);
CREATE INDEX requests_group ON requests (group_id, state);
CREATE INDEX requests_user ON requests (user_id);
CREATE TABLE reviews (
  id              TEXT COLLATE "C" PRIMARY KEY,
  name            TEXT COLLATE "C" NOT NULL,
  scope           TEXT COLLATE "C" NOT NULL CHECK (scope IN ('all', 'group', 'resource')),
  scope_id        TEXT COLLATE "C",
  scope_name      TEXT COLLATE "C",
  state           TEXT COLLATE "C" NOT NULL CHECK (state IN ('OPEN', 'CLOSED')),
  reviewers_group TEXT COLLATE "C",
  due_at          BIGINT,
  frozen_at       BIGINT NOT NULL,
  frozen_seq      BIGINT NOT NULL,
  frozen_hash     TEXT COLLATE "C" NOT NULL,
  items           INTEGER NOT NULL,
  decided         INTEGER NOT NULL,
  started_by      TEXT COLLATE "C" NOT NULL,
  closed_at       BIGINT,
  closed_seq      BIGINT,
  closed_by       TEXT COLLATE "C",
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL
);

CREATE TABLE review_items (
  review_id    TEXT COLLATE "C" NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
  item         INTEGER NOT NULL CHECK (item >= 1),
  kind         TEXT COLLATE "C" NOT NULL CHECK (kind IN ('group_user', 'group_service', 'service_resource')),
  owner_id     TEXT COLLATE "C" NOT NULL,
  owner_name   TEXT COLLATE "C" NOT NULL,
  subject_type TEXT COLLATE "C" NOT NULL CHECK (subject_type IN ('user', 'service')),
  subject_id   TEXT COLLATE "C" NOT NULL,
  subject_name TEXT COLLATE "C" NOT NULL,
  starts_at    BIGINT,
  expires_at   BIGINT,
  link_created_at BIGINT NOT NULL,
  gives        TEXT COLLATE "C" NOT NULL,
  decision     TEXT COLLATE "C" CHECK (decision IN ('KEEP', 'REVOKE')),
  decided_by   TEXT COLLATE "C",
  decider_id   TEXT COLLATE "C",
  decided_at   BIGINT,
  reason       TEXT COLLATE "C",
  outcome      TEXT COLLATE "C" CHECK (outcome IN ('KEPT', 'REMOVED', 'CHANGED', 'GONE')),
  PRIMARY KEY (review_id, item)
);
${['requests', 'reviews', 'review_items'].map(grantLikeUsers).join('')}`,
};

/** Gives every role on `table` the privileges it holds on users (those db grant gives). */
function grantLikeUsers(table: string): string {
  return `DO $grant$
DECLARE g record;
BEGIN
  FOR g IN
    SELECT pg_get_userbyid(a.grantee) AS role, string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type) AS privileges
      FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
     WHERE c.oid = to_regclass('users') AND a.grantee <> 0 AND a.grantee <> c.relowner
       AND a.privilege_type IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE')
     GROUP BY a.grantee
  LOOP
    EXECUTE format('GRANT %s ON ${table} TO %I', g.privileges, g.role);
  END LOOP;
END
$grant$;
`;
}

/** schema.pg.sql's version 3 section, from its comment to the last trigger. */
export function auditAppendOnlySql(): string {
  const text = pgSchemaText();
  const start = text.indexOf('-- Version 3: audit_events is append-only');
  const end = text.indexOf('\n', text.indexOf('CREATE TRIGGER audit_events_no_truncate'));
  if (start < 0 || end < 0) throw new Error('schema.pg.sql has no append-only section');
  return text.slice(start, end + 1);
}

export function pgSchemaText(): string {
  for (const rel of ['../schema.pg.sql', '../../schema.pg.sql', '../../../schema.pg.sql']) {
    const url = new URL(rel, import.meta.url);
    if (existsSync(url)) return readFileSync(url, 'utf8');
  }
  throw new Error('schema.pg.sql not found beside the accessctl package');
}

export type SchemaState = { kind: 'ready' } | { kind: 'empty' } | { kind: 'older'; version: number };

/** What open found: our schema (current or older), nothing yet, or something to refuse. */
export function judgeSchema(where: string, found: { application: string | null; version: number | null; tables: number }): SchemaState {
  if (found.version === null) {
    if (found.tables > 0) {
      throw new StoreError(`database ${where} holds tables but is not an accessctl store`, 'refusing to touch it; use an empty database of its own');
    }
    return { kind: 'empty' };
  }
  if (found.application !== 'accessctl') {
    throw new StoreError(`database ${where} is not an accessctl store`, 'refusing to touch it; use an empty database of its own');
  }
  if (found.version > PG_LATEST_VERSION) {
    throw new StoreError(
      `store ${where} was written by a newer accessctl (schema ${found.version}, this one knows ${PG_LATEST_VERSION})`,
      'upgrade accessctl; the store was not modified',
    );
  }
  return found.version === PG_LATEST_VERSION ? { kind: 'ready' } : { kind: 'older', version: found.version };
}
