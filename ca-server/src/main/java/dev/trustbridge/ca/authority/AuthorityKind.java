package dev.trustbridge.ca.authority;

/** What a CA in the authority journal is. */
public enum AuthorityKind {
  /** A root of trust: self-signed, or the top of an upstream chain as far as this server sees. */
  ROOT,
  /** An intermediate CA held by a replica, which signs workload certificates. */
  INTERMEDIATE
}
