-- Operator marks on authorities: a tainted CA is replaced at once and no longer signs; a revoked
-- CA leaves the bundle at once, so every certificate that chains to it stops validating.
CREATE TABLE authority_mark (
  authority_id TEXT PRIMARY KEY NOT NULL REFERENCES authority (id) ON DELETE CASCADE,
  tainted_at BIGINT,
  revoked_at BIGINT
);
