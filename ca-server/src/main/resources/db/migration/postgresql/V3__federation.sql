-- Federation relationships (one per peer trust domain) and the last good bundle of each peer.
CREATE TABLE federation_relationship (
  trust_domain TEXT PRIMARY KEY NOT NULL,
  url TEXT NOT NULL,
  profile TEXT NOT NULL CHECK (profile IN ('https_spiffe', 'https_web')),
  endpoint_spiffe_id TEXT,
  bootstrap_bundle BYTEA,
  web_trust_anchors BYTEA,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE federated_bundle (
  trust_domain TEXT PRIMARY KEY NOT NULL,
  document BYTEA NOT NULL,
  updated_at BIGINT NOT NULL
);
