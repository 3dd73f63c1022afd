-- accessctl store schema for PostgreSQL, version 5: schema.sql's tables, column for column (audit details in format 2;
-- 4: groups may be SYNCED; 5: access requests and reviews, as schema.sql's version 4).
-- Times are BIGINT epoch ms (INTEGER is 32-bit here); every text sorts byte-wise (COLLATE "C"),
-- as SQLite's BINARY does, so lists come out in the same order on both dialects.
-- Times are integer epoch milliseconds (UTC). Names carry a *_key column: the Unicode-normalised,
-- case-folded form they are unique under. expires_at NULL means "never".

CREATE TABLE users (
  id          TEXT COLLATE "C" PRIMARY KEY,
  email       TEXT COLLATE "C" NOT NULL,
  email_key   TEXT COLLATE "C" NOT NULL UNIQUE,
  first_name  TEXT COLLATE "C" NOT NULL DEFAULT '',
  last_name   TEXT COLLATE "C" NOT NULL DEFAULT '',
  role        TEXT COLLATE "C" NOT NULL CHECK (role IN ('ADMIN', 'DEVOPS', 'SUPPORT', 'MEMBER')),
  state       TEXT COLLATE "C" NOT NULL CHECK (state IN ('ACTIVE', 'DISABLED')),
  type        TEXT COLLATE "C" NOT NULL CHECK (type IN ('MANUAL', 'SYNCED')),
  login       TEXT COLLATE "C",
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL
);
-- The account a person acts as (SPEC section 15): an OS user or a PostgreSQL role, matched exactly.
CREATE UNIQUE INDEX users_login ON users (login) WHERE login IS NOT NULL;

CREATE TABLE resources (
  id          TEXT COLLATE "C" PRIMARY KEY,
  name        TEXT COLLATE "C" NOT NULL,
  name_key    TEXT COLLATE "C" NOT NULL UNIQUE,
  address     TEXT COLLATE "C" NOT NULL,
  alias       TEXT COLLATE "C",
  tcp         TEXT COLLATE "C" NOT NULL,
  udp         TEXT COLLATE "C" NOT NULL,
  icmp        INTEGER NOT NULL CHECK (icmp IN (0, 1)),
  is_active   INTEGER NOT NULL CHECK (is_active IN (0, 1)),
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL
);

CREATE TABLE groups (
  id          TEXT COLLATE "C" PRIMARY KEY,
  name        TEXT COLLATE "C" NOT NULL,
  name_key    TEXT COLLATE "C" NOT NULL UNIQUE,
  type        TEXT COLLATE "C" NOT NULL CHECK (type IN ('MANUAL', 'SYSTEM', 'SYNCED')),
  is_active   INTEGER NOT NULL CHECK (is_active IN (0, 1)),
  expires_at  BIGINT,
  -- Canonical JSON of the request policy (docs/requests.md); NULL: not requestable.
  request_policy TEXT COLLATE "C",
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL
);
CREATE INDEX groups_expires_at ON groups (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE services (
  id          TEXT COLLATE "C" PRIMARY KEY,
  name        TEXT COLLATE "C" NOT NULL,
  name_key    TEXT COLLATE "C" NOT NULL UNIQUE,
  description TEXT COLLATE "C" NOT NULL DEFAULT '',
  state       TEXT COLLATE "C" NOT NULL CHECK (state IN ('ACTIVE', 'DISABLED')),
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL
);

-- Links. Each may carry its own expiry: ephemeral access without an ephemeral group.
CREATE TABLE group_users (
  group_id    TEXT COLLATE "C" NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  user_id     TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- A grant approved for later (SPEC section 15): no access before it. NULL: from its creation.
  starts_at   BIGINT,
  expires_at  BIGINT,
  created_at  BIGINT NOT NULL,
  PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_users_user ON group_users (user_id, group_id);
CREATE INDEX group_users_expires_at ON group_users (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE group_resources (
  group_id    TEXT COLLATE "C" NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  resource_id TEXT COLLATE "C" NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
  expires_at  BIGINT,
  created_at  BIGINT NOT NULL,
  PRIMARY KEY (group_id, resource_id)
);
CREATE INDEX group_resources_resource ON group_resources (resource_id, group_id);
CREATE INDEX group_resources_expires_at ON group_resources (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE group_services (
  group_id    TEXT COLLATE "C" NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  service_id  TEXT COLLATE "C" NOT NULL REFERENCES services (id) ON DELETE CASCADE,
  expires_at  BIGINT,
  created_at  BIGINT NOT NULL,
  PRIMARY KEY (group_id, service_id)
);
CREATE INDEX group_services_service ON group_services (service_id, group_id);
CREATE INDEX group_services_expires_at ON group_services (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE service_resources (
  service_id  TEXT COLLATE "C" NOT NULL REFERENCES services (id) ON DELETE CASCADE,
  resource_id TEXT COLLATE "C" NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
  expires_at  BIGINT,
  created_at  BIGINT NOT NULL,
  PRIMARY KEY (service_id, resource_id)
);
CREATE INDEX service_resources_resource ON service_resources (resource_id, service_id);
CREATE INDEX service_resources_expires_at ON service_resources (expires_at) WHERE expires_at IS NOT NULL;

-- Service keys. The token itself is never stored: only its SHA-256 and a non-secret hint.
CREATE TABLE service_keys (
  id           TEXT COLLATE "C" PRIMARY KEY,
  service_id   TEXT COLLATE "C" NOT NULL REFERENCES services (id) ON DELETE CASCADE,
  name         TEXT COLLATE "C" NOT NULL,
  name_key     TEXT COLLATE "C" NOT NULL,
  token_hash   TEXT COLLATE "C" NOT NULL UNIQUE,
  hint         TEXT COLLATE "C" NOT NULL,
  created_at   BIGINT NOT NULL,
  expires_at   BIGINT,
  revoked_at   BIGINT,
  last_used_at BIGINT,
  UNIQUE (service_id, name_key)
);
CREATE INDEX service_keys_expires_at ON service_keys (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX service_keys_revoked_at ON service_keys (revoked_at) WHERE revoked_at IS NOT NULL;

-- Short-lived tokens exchanged from a key; they die with their key.
CREATE TABLE exchange_tokens (
  id          TEXT COLLATE "C" PRIMARY KEY,
  key_id      TEXT COLLATE "C" NOT NULL REFERENCES service_keys (id) ON DELETE CASCADE,
  token_hash  TEXT COLLATE "C" NOT NULL UNIQUE,
  created_at  BIGINT NOT NULL,
  expires_at  BIGINT NOT NULL
);
CREATE INDEX exchange_tokens_key ON exchange_tokens (key_id);
CREATE INDEX exchange_tokens_expires_at ON exchange_tokens (expires_at);

-- Access requests (SPEC section 15). They outlive the user and group they name (the record of
-- who asked and who approved), so they carry no foreign keys and keep the names as they were.
-- EXPIRED and ENDED are not stored: they are judged at read time from pending_until and
-- expires_at, like every expiry.
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

CREATE TABLE settings (
  key         TEXT COLLATE "C" PRIMARY KEY,
  value       TEXT COLLATE "C" NOT NULL,
  updated_at  BIGINT NOT NULL
);

-- Append-only, hash-chained: hash = SHA-256(previous hash + canonical JSON of the event).
-- seq is the key; the random event id is not indexed (nothing looks events up by it, and a
-- random-key index would double the cost of every bulk write).
CREATE TABLE audit_events (
  seq         BIGINT PRIMARY KEY,
  id          TEXT COLLATE "C" NOT NULL,
  at          BIGINT NOT NULL,
  actor       TEXT COLLATE "C" NOT NULL,
  action      TEXT COLLATE "C" NOT NULL,
  target_type TEXT COLLATE "C" NOT NULL,
  target_id   TEXT COLLATE "C" NOT NULL,
  details     TEXT COLLATE "C" NOT NULL,
  hash        TEXT COLLATE "C" NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_target ON audit_events (target_id);

-- Version 3: audit_events is append-only for every role but the table's owner, enforced by the
-- server whatever is granted (db grant grants INSERT and SELECT only; this stops a wider GRANT too).
CREATE FUNCTION accessctl_audit_append_only() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  IF current_user <> (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = TG_RELID) THEN
    RAISE EXCEPTION 'audit_events is append-only: % refused for role %', TG_OP, current_user USING ERRCODE = '42501';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events FOR EACH ROW EXECUTE FUNCTION accessctl_audit_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION accessctl_audit_append_only();

-- The schema's version, in a table of its own (SQLite keeps it in PRAGMA user_version).
CREATE TABLE accessctl_schema (
  application TEXT COLLATE "C" NOT NULL PRIMARY KEY CHECK (application = 'accessctl'),
  version     INTEGER NOT NULL
);
