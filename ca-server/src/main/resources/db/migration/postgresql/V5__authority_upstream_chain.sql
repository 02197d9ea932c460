-- The certificates an upstream authority (Vault PKI with an intermediate issuer) gave between an
-- intermediate and its root, DER back to back, so that a restart can send the whole chain without
-- asking the upstream again. Empty for every other CA.
ALTER TABLE authority ADD COLUMN upstream_chain_der BYTEA NOT NULL DEFAULT ''::bytea;
