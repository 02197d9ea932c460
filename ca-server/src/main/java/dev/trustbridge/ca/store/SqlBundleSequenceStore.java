package dev.trustbridge.ca.store;

import dev.trustbridge.ca.authority.BundleSequenceStore;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link BundleSequenceStore} on one table, one row per trust domain. Sequences are stored as
 * 64-bit integers: at one change per second that lasts longer than the sun.
 */
final class SqlBundleSequenceStore implements BundleSequenceStore {
  /**
   * Inserts sequence 1, or adds one if the digest differs. In PostgreSQL, ON CONFLICT DO UPDATE
   * locks the row even when its WHERE is false, so the SELECT after it in the same transaction
   * reads a row no other transaction can change until this one ends.
   */
  private static final String UPSERT =
      "INSERT INTO bundle_sequence (trust_domain, sequence, content_digest) VALUES (?, 1, ?)"
          + " ON CONFLICT (trust_domain) DO UPDATE"
          + " SET sequence = bundle_sequence.sequence + 1,"
          + " content_digest = excluded.content_digest"
          + " WHERE bundle_sequence.content_digest <> excluded.content_digest";

  private final Database db;

  SqlBundleSequenceStore(Database db) {
    this.db = db;
  }

  @Override
  public BigInteger advance(TrustDomain trustDomain, byte[] contentDigest) {
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(contentDigest, "contentDigest");
    if (contentDigest.length == 0) {
      throw TrustbridgeException.invalidArgument("bundle content digest must not be empty");
    }
    byte[] digest = contentDigest.clone();
    return db.write(
        c -> {
          try (PreparedStatement ps = c.prepareStatement(UPSERT)) {
            ps.setString(1, trustDomain.name());
            ps.setBytes(2, digest);
            ps.executeUpdate();
          }
          return read(c, trustDomain).orElseThrow();
        });
  }

  @Override
  public Optional<BigInteger> current(TrustDomain trustDomain) {
    Objects.requireNonNull(trustDomain, "trustDomain");
    return db.read(c -> read(c, trustDomain));
  }

  private static Optional<BigInteger> read(Connection c, TrustDomain trustDomain)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT sequence FROM bundle_sequence WHERE trust_domain = ?")) {
      ps.setString(1, trustDomain.name());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(BigInteger.valueOf(rs.getLong(1))) : Optional.empty();
      }
    }
  }
}
