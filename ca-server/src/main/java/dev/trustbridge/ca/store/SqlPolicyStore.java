package dev.trustbridge.ca.store;

import dev.trustbridge.ca.policy.PolicyStore;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.policy.Policy;
import dev.trustbridge.spiffe.policy.PolicyCodec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/** {@link PolicyStore} on the {@code policy} table, one PolicyCodec JSON document per version. */
final class SqlPolicyStore implements PolicyStore {
  static final String VERSION_CONFLICT = "the policy is at version %d, not the expected %d";

  private final Database db;

  SqlPolicyStore(Database db) {
    this.db = db;
  }

  @Override
  public Optional<Policy> current() {
    return db.read(
        c ->
            read(
                c,
                "SELECT document FROM policy ORDER BY version DESC LIMIT 1",
                OptionalLong.empty()));
  }

  @Override
  public Optional<Policy> get(long version) {
    return db.read(
        c -> read(c, "SELECT document FROM policy WHERE version = ?", OptionalLong.of(version)));
  }

  private static long currentVersion(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT COALESCE(MAX(version), 0) FROM policy");
        ResultSet rs = ps.executeQuery()) {
      return rs.next() ? rs.getLong(1) : 0;
    }
  }

  private static Optional<Policy> read(Connection c, String sql, OptionalLong version)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      if (version.isPresent()) {
        ps.setLong(1, version.getAsLong());
      }
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(PolicyCodec.parse(rs.getBytes(1))) : Optional.empty();
      }
    }
  }

  @Override
  public Policy append(
      Policy policy, OptionalLong expectedVersion, String changedBy, Instant changedAt) {
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(expectedVersion, "expectedVersion");
    Objects.requireNonNull(changedBy, "changedBy");
    Objects.requireNonNull(changedAt, "changedAt");
    return db.write(
        c -> {
          // Another replica may append the same version between the SELECT and the INSERT (two
          // PostgreSQL writers at READ COMMITTED). Its INSERT then wins, this one inserts nothing,
          // and the loop reads the new current version: with an expected version that is a
          // conflict, without one the policy goes on top of the other.
          while (true) {
            long current = currentVersion(c);
            if (expectedVersion.isPresent() && expectedVersion.getAsLong() != current) {
              throw new TrustbridgeException(
                  ErrorCode.FAILED_PRECONDITION,
                  String.format(VERSION_CONFLICT, current, expectedVersion.getAsLong()));
            }
            Policy stored =
                new Policy(current + 1, policy.grants(), policy.exposures(), policy.allowRules());
            try (PreparedStatement ps =
                c.prepareStatement(
                    "INSERT INTO policy (version, document, changed_by, changed_at)"
                        + " VALUES (?, ?, ?, ?) ON CONFLICT (version) DO NOTHING")) {
              ps.setLong(1, stored.version());
              ps.setBytes(2, PolicyCodec.write(stored));
              ps.setString(3, changedBy);
              ps.setLong(4, changedAt.toEpochMilli());
              if (ps.executeUpdate() == 1) {
                return stored;
              }
            }
          }
        });
  }
}
