-- accessctl store schema, version 4 (2: audit details in format 2, docs/audit-events.md; 3: groups may be SYNCED;
-- 4: access requests: a user's login, a group's request policy, a membership's start, the requests table;
-- access reviews: the reviews and review_items tables).
-- Times are integer epoch milliseconds (UTC). Names carry a *_key column: the Unicode-normalised,
-- case-folded form they are unique under. expires_at NULL means "never".

CREATE TABLE users (
  id          TEXT PRIMARY KEY,
  email       TEXT NOT NULL,
  email_key   TEXT NOT NULL UNIQUE,
  first_name  TEXT NOT NULL DEFAULT '',
  last_name   TEXT NOT NULL DEFAULT '',
  role        TEXT NOT NULL CHECK (role IN ('ADMIN', 'DEVOPS', 'SUPPORT', 'MEMBER')),
  state       TEXT NOT NULL CHECK (state IN ('ACTIVE', 'DISABLED')),
  type        TEXT NOT NULL CHECK (type IN ('MANUAL', 'SYNCED')),
  login       TEXT,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
-- The account a person acts as (SPEC section 15): an OS user or a PostgreSQL role, matched exactly.
CREATE UNIQUE INDEX users_login ON users (login) WHERE login IS NOT NULL;

CREATE TABLE resources (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  name_key    TEXT NOT NULL UNIQUE,
  address     TEXT NOT NULL,
  alias       TEXT,
  tcp         TEXT NOT NULL,
  udp         TEXT NOT NULL,
  icmp        INTEGER NOT NULL CHECK (icmp IN (0, 1)),
  is_active   INTEGER NOT NULL CHECK (is_active IN (0, 1)),
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

CREATE TABLE groups (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  name_key    TEXT NOT NULL UNIQUE,
  type        TEXT NOT NULL CHECK (type IN ('MANUAL', 'SYSTEM', 'SYNCED')),
  is_active   INTEGER NOT NULL CHECK (is_active IN (0, 1)),
  expires_at  INTEGER,
  -- Canonical JSON of the request policy (docs/requests.md); NULL: not requestable.
  request_policy TEXT,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX groups_expires_at ON groups (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE services (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  name_key    TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  state       TEXT NOT NULL CHECK (state IN ('ACTIVE', 'DISABLED')),
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

-- Links. Each may carry its own expiry: ephemeral access without an ephemeral group.
CREATE TABLE group_users (
  group_id    TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- A grant approved for later (SPEC section 15): no access before it. NULL: from its creation.
  starts_at   INTEGER,
  expires_at  INTEGER,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX group_users_user ON group_users (user_id, group_id);
CREATE INDEX group_users_expires_at ON group_users (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE group_resources (
  group_id    TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  resource_id TEXT NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
  expires_at  INTEGER,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (group_id, resource_id)
) WITHOUT ROWID;
CREATE INDEX group_resources_resource ON group_resources (resource_id, group_id);
CREATE INDEX group_resources_expires_at ON group_resources (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE group_services (
  group_id    TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  service_id  TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
  expires_at  INTEGER,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (group_id, service_id)
) WITHOUT ROWID;
CREATE INDEX group_services_service ON group_services (service_id, group_id);
CREATE INDEX group_services_expires_at ON group_services (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE service_resources (
  service_id  TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
  resource_id TEXT NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
  expires_at  INTEGER,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (service_id, resource_id)
) WITHOUT ROWID;
CREATE INDEX service_resources_resource ON service_resources (resource_id, service_id);
CREATE INDEX service_resources_expires_at ON service_resources (expires_at) WHERE expires_at IS NOT NULL;

-- Service keys. The token itself is never stored: only its SHA-256 and a non-secret hint.
CREATE TABLE service_keys (
  id           TEXT PRIMARY KEY,
  service_id   TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  name_key     TEXT NOT NULL,
  token_hash   TEXT NOT NULL UNIQUE,
  hint         TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER,
  revoked_at   INTEGER,
  last_used_at INTEGER,
  UNIQUE (service_id, name_key)
);
CREATE INDEX service_keys_expires_at ON service_keys (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX service_keys_revoked_at ON service_keys (revoked_at) WHERE revoked_at IS NOT NULL;

-- Short-lived tokens exchanged from a key; they die with their key.
CREATE TABLE exchange_tokens (
  id          TEXT PRIMARY KEY,
  key_id      TEXT NOT NULL REFERENCES service_keys (id) ON DELETE CASCADE,
  token_hash  TEXT NOT NULL UNIQUE,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
);
CREATE INDEX exchange_tokens_key ON exchange_tokens (key_id);
CREATE INDEX exchange_tokens_expires_at ON exchange_tokens (expires_at);

-- Access requests (SPEC section 15). They outlive the user and group they name (the record of
-- who asked and who approved), so they carry no foreign keys and keep the names as they were.
-- EXPIRED and ENDED are not stored: they are judged at read time from pending_until and
-- expires_at, like every expiry.
CREATE TABLE requests (
  id               TEXT PRIMARY KEY,
  group_id         TEXT NOT NULL,
  group_name       TEXT NOT NULL,
  user_id          TEXT NOT NULL,
  user_email       TEXT NOT NULL,
  requested_by     TEXT NOT NULL,
  duration_ms      INTEGER NOT NULL CHECK (duration_ms > 0),
  reason           TEXT NOT NULL DEFAULT '',
  ticket           TEXT NOT NULL DEFAULT '',
  break_glass      INTEGER NOT NULL CHECK (break_glass IN (0, 1)),
  state            TEXT NOT NULL CHECK (state IN ('PENDING', 'APPROVED', 'DENIED', 'CANCELLED', 'REVOKED')),
  start_at         INTEGER,
  pending_until    INTEGER NOT NULL,
  approvals_needed INTEGER NOT NULL CHECK (approvals_needed >= 1),
  approvals        TEXT NOT NULL DEFAULT '[]',
  starts_at        INTEGER,
  expires_at       INTEGER,
  decided_by       TEXT,
  decided_at       INTEGER,
  decision_reason  TEXT,
  reviewed_by      TEXT,
  reviewed_at      INTEGER,
  review_reason    TEXT,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);
CREATE INDEX requests_group ON requests (group_id, state);
CREATE INDEX requests_user ON requests (user_id);

-- Access reviews (SPEC section 16). A review freezes the grants in its scope at a moment of the
-- log (frozen_seq, frozen_hash: the chain's head then); its items are those grants, numbered from
-- 1, each with what it gave. Like requests they name what they reviewed by id and by the name it
-- had, with no foreign keys: the evidence outlives the grants it removed.
CREATE TABLE reviews (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL,
  scope           TEXT NOT NULL CHECK (scope IN ('all', 'group', 'resource')),
  scope_id        TEXT,
  scope_name      TEXT,
  state           TEXT NOT NULL CHECK (state IN ('OPEN', 'CLOSED')),
  reviewers_group TEXT,
  due_at          INTEGER,
  frozen_at       INTEGER NOT NULL,
  frozen_seq      INTEGER NOT NULL,
  frozen_hash     TEXT NOT NULL,
  items           INTEGER NOT NULL,
  decided         INTEGER NOT NULL,
  started_by      TEXT NOT NULL,
  closed_at       INTEGER,
  closed_seq      INTEGER,
  closed_by       TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);

CREATE TABLE review_items (
  review_id    TEXT NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
  item         INTEGER NOT NULL CHECK (item >= 1),
  kind         TEXT NOT NULL CHECK (kind IN ('group_user', 'group_service', 'service_resource')),
  owner_id     TEXT NOT NULL,
  owner_name   TEXT NOT NULL,
  subject_type TEXT NOT NULL CHECK (subject_type IN ('user', 'service')),
  subject_id   TEXT NOT NULL,
  subject_name TEXT NOT NULL,
  starts_at    INTEGER,
  expires_at   INTEGER,
  link_created_at INTEGER NOT NULL,
  gives        TEXT NOT NULL,
  decision     TEXT CHECK (decision IN ('KEEP', 'REVOKE')),
  decided_by   TEXT,
  decider_id   TEXT,
  decided_at   INTEGER,
  reason       TEXT,
  outcome      TEXT CHECK (outcome IN ('KEPT', 'REMOVED', 'CHANGED', 'GONE')),
  PRIMARY KEY (review_id, item)
) WITHOUT ROWID;

CREATE TABLE settings (
  key         TEXT PRIMARY KEY,
  value       TEXT NOT NULL,
  updated_at  INTEGER NOT NULL
);

-- Append-only, hash-chained: hash = SHA-256(previous hash + canonical JSON of the event), over
-- the stored details text itself (format 2), which is canonical JSON.
-- seq is the key; the random event id is not indexed (nothing looks events up by it, and a
-- random-key index would double the cost of every bulk write).
CREATE TABLE audit_events (
  seq         INTEGER PRIMARY KEY,
  id          TEXT NOT NULL,
  at          INTEGER NOT NULL,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,
  target_type TEXT NOT NULL,
  target_id   TEXT NOT NULL,
  details     TEXT NOT NULL,
  hash        TEXT NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_target ON audit_events (target_id);
