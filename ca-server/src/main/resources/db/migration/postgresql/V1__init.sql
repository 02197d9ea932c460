-- Trustbridge datastore schema, version 1 (PostgreSQL): the tables, constraints and indexes of
-- db/migration/sqlite/V1__init.sql, with PostgreSQL's types. Times are epoch milliseconds
-- (BIGINT), SPIFFE IDs and trust domains their string forms, certificates and digests BYTEA.
-- Statements end with ';' at the end of a line.

CREATE TABLE registration_entry (
  id TEXT PRIMARY KEY NOT NULL,
  spiffe_id TEXT NOT NULL,
  parent_id TEXT NOT NULL,
  ttl_seconds BIGINT CHECK (ttl_seconds IS NULL OR ttl_seconds > 0),
  admin BOOLEAN NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (spiffe_id, parent_id)
);

CREATE INDEX registration_entry_parent_id ON registration_entry (parent_id);

CREATE TABLE registration_entry_dns_name (
  entry_id TEXT NOT NULL REFERENCES registration_entry (id) ON DELETE CASCADE,
  ordinal INTEGER NOT NULL,
  dns_name TEXT NOT NULL,
  PRIMARY KEY (entry_id, ordinal)
);

CREATE TABLE registration_entry_federates_with (
  entry_id TEXT NOT NULL REFERENCES registration_entry (id) ON DELETE CASCADE,
  trust_domain TEXT NOT NULL,
  PRIMARY KEY (entry_id, trust_domain)
);

CREATE TABLE join_token (
  token_hash TEXT PRIMARY KEY NOT NULL,
  spiffe_id TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE INDEX join_token_expires_at ON join_token (expires_at);

CREATE TABLE authority (
  id TEXT PRIMARY KEY NOT NULL,
  trust_domain TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('ROOT', 'INTERMEDIATE')),
  state TEXT NOT NULL CHECK (state IN ('PREPARED', 'ACTIVE', 'OLD')),
  key_id TEXT NOT NULL,
  certificate_der BYTEA NOT NULL,
  issuer_id TEXT,
  not_after BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE INDEX authority_trust_domain ON authority (trust_domain, created_at);

CREATE TABLE bundle_sequence (
  trust_domain TEXT PRIMARY KEY NOT NULL,
  sequence BIGINT NOT NULL CHECK (sequence >= 1),
  content_digest BYTEA NOT NULL
);

-- An identity column: ids are never reused, even after old events are pruned (SQLite's
-- AUTOINCREMENT). ALWAYS: an insert cannot choose its own id.
CREATE TABLE audit_event (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at BIGINT NOT NULL,
  caller TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT NOT NULL,
  serial TEXT,
  expires_at BIGINT
);

CREATE INDEX audit_event_at ON audit_event (at, id);

CREATE INDEX audit_event_subject ON audit_event (subject, at);
