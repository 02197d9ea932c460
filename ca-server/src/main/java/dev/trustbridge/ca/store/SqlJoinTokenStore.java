package dev.trustbridge.ca.store;

import dev.trustbridge.ca.authn.JoinToken;
import dev.trustbridge.ca.authn.JoinTokenStore;
import dev.trustbridge.spiffe.id.SpiffeId;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/** {@link JoinTokenStore} on one table keyed by the token hash. */
final class SqlJoinTokenStore implements JoinTokenStore {
  static final String DUPLICATE = "a join token with this hash already exists";

  private final Database db;

  SqlJoinTokenStore(Database db) {
    this.db = db;
  }

  @Override
  public void create(JoinToken token) {
    Objects.requireNonNull(token, "token");
    db.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO join_token (token_hash, spiffe_id, expires_at, created_at)"
                      + " VALUES (?, ?, ?, ?)")) {
            ps.setString(1, token.tokenHash());
            ps.setString(2, token.spiffeId().toString());
            ps.setLong(3, token.expiresAt().toEpochMilli());
            ps.setLong(4, token.createdAt().toEpochMilli());
            return ps.executeUpdate();
          }
        },
        DUPLICATE);
  }

  @Override
  public Optional<JoinToken> consume(String tokenHash, Instant now) {
    Objects.requireNonNull(tokenHash, "tokenHash");
    Objects.requireNonNull(now, "now");
    // One statement both checks and deletes, so of concurrent consumers (in this process or any
    // other sharing the database) only the one whose DELETE removed the row gets it back.
    return db.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "DELETE FROM join_token WHERE token_hash = ? AND expires_at > ?"
                      + " RETURNING token_hash, spiffe_id, expires_at, created_at")) {
            ps.setString(1, tokenHash);
            ps.setLong(2, now.toEpochMilli());
            try (ResultSet rs = ps.executeQuery()) {
              if (!rs.next()) {
                return Optional.empty();
              }
              return Optional.of(
                  new JoinToken(
                      rs.getString(1),
                      SpiffeId.parse(rs.getString(2)),
                      Instant.ofEpochMilli(rs.getLong(3)),
                      Instant.ofEpochMilli(rs.getLong(4))));
            }
          }
        });
  }

  @Override
  public int deleteExpired(Instant now) {
    Objects.requireNonNull(now, "now");
    return db.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM join_token WHERE expires_at <= ?")) {
            ps.setLong(1, now.toEpochMilli());
            return ps.executeUpdate();
          }
        });
  }
}
