-- The per-identity policy (grants, exposures, allow rules) as PolicyCodec JSON documents, one row
-- per version. The row with the highest version is the current policy; older rows are its history.
CREATE TABLE policy (
  version BIGINT PRIMARY KEY NOT NULL CHECK (version >= 1),
  document BYTEA NOT NULL,
  changed_by TEXT NOT NULL,
  changed_at BIGINT NOT NULL
);
