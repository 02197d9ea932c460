package dev.trustbridge.ca.store;

import dev.trustbridge.ca.audit.AuditEvent;
import dev.trustbridge.ca.authority.AuthorityKind;
import dev.trustbridge.ca.authority.AuthorityMark;
import dev.trustbridge.ca.authority.AuthorityRecord;
import dev.trustbridge.ca.authority.AuthorityState;
import dev.trustbridge.ca.authority.AuthorityStore;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** {@link AuthorityStore} on one table; a transition is one conditional UPDATE. */
final class SqlAuthorityStore implements AuthorityStore {
  static final String DUPLICATE = "an authority with this id already exists";
  private static final byte[] NO_CHAIN = new byte[0];

  private static final String SELECT =
      "SELECT id, trust_domain, kind, state, key_id, certificate_der, issuer_id, not_after,"
          + " created_at, updated_at, upstream_chain_der FROM authority";

  private final Database db;

  SqlAuthorityStore(Database db) {
    this.db = db;
  }

  @Override
  public void insert(AuthorityRecord record) {
    insert(record, Optional.empty());
  }

  @Override
  public void insert(AuthorityRecord record, AuditEvent event) {
    insert(record, Optional.of(Objects.requireNonNull(event, "event")));
  }

  private void insert(AuthorityRecord record, Optional<AuditEvent> event) {
    Objects.requireNonNull(record, "record");
    db.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO authority (id, trust_domain, kind, state, key_id, certificate_der,"
                      + " issuer_id, not_after, created_at, updated_at, upstream_chain_der)"
                      + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, record.id());
            ps.setString(2, record.trustDomain().name());
            ps.setString(3, record.kind().name());
            ps.setString(4, record.state().name());
            ps.setString(5, record.keyId());
            ps.setBytes(6, record.certificateDer());
            if (record.issuerId().isPresent()) {
              ps.setString(7, record.issuerId().get());
            } else {
              ps.setNull(7, Types.VARCHAR);
            }
            ps.setLong(8, record.notAfter().toEpochMilli());
            ps.setLong(9, record.createdAt().toEpochMilli());
            ps.setLong(10, record.updatedAt().toEpochMilli());
            ps.setBytes(11, record.upstreamChainDer());
            ps.executeUpdate();
          }
          audit(c, event);
          return null;
        },
        DUPLICATE);
  }

  @Override
  public List<AuthorityRecord> list(TrustDomain trustDomain) {
    Objects.requireNonNull(trustDomain, "trustDomain");
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(SELECT + " WHERE trust_domain = ? ORDER BY created_at, id")) {
            ps.setString(1, trustDomain.name());
            return readAll(ps);
          }
        });
  }

  @Override
  public Optional<AuthorityRecord> get(String id) {
    Objects.requireNonNull(id, "id");
    return db.read(c -> find(c, id));
  }

  @Override
  public void transition(String id, AuthorityState expected, AuthorityState next, Instant at) {
    transition(id, expected, next, at, Optional.empty());
  }

  @Override
  public void transition(
      String id, AuthorityState expected, AuthorityState next, Instant at, AuditEvent event) {
    transition(id, expected, next, at, Optional.of(Objects.requireNonNull(event, "event")));
  }

  private void transition(
      String id,
      AuthorityState expected,
      AuthorityState next,
      Instant at,
      Optional<AuditEvent> event) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(expected, "expected");
    Objects.requireNonNull(next, "next");
    Objects.requireNonNull(at, "at");
    if (!expected.canMoveTo(next)) {
      throw new TrustbridgeException(
          ErrorCode.FAILED_PRECONDITION,
          "an authority cannot move from " + expected + " to " + next);
    }
    db.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE authority SET state = ?, updated_at = ? WHERE id = ? AND state = ?")) {
            ps.setString(1, next.name());
            ps.setLong(2, at.toEpochMilli());
            ps.setString(3, id);
            ps.setString(4, expected.name());
            if (ps.executeUpdate() == 1) {
              audit(c, event);
              return null;
            }
          }
          Optional<AuthorityRecord> current = find(c, id);
          if (current.isEmpty()) {
            throw new TrustbridgeException(ErrorCode.NOT_FOUND, "no such authority");
          }
          throw new TrustbridgeException(
              ErrorCode.FAILED_PRECONDITION,
              "authority is " + current.get().state() + ", not " + expected);
        });
  }

  @Override
  public void delete(String id) {
    Objects.requireNonNull(id, "id");
    db.write(
        c -> {
          try (PreparedStatement ps = c.prepareStatement("DELETE FROM authority WHERE id = ?")) {
            ps.setString(1, id);
            return ps.executeUpdate();
          }
        });
  }

  @Override
  public void taint(String id, Instant at) {
    mark(id, "tainted_at", at, Optional.empty());
  }

  @Override
  public void taint(String id, Instant at, AuditEvent event) {
    mark(id, "tainted_at", at, Optional.of(Objects.requireNonNull(event, "event")));
  }

  @Override
  public void revoke(String id, Instant at) {
    mark(id, "revoked_at", at, Optional.empty());
  }

  @Override
  public void revoke(String id, Instant at, AuditEvent event) {
    mark(id, "revoked_at", at, Optional.of(Objects.requireNonNull(event, "event")));
  }

  /** Appends {@code event}, if any, in the transaction of the write it records. */
  private void audit(Connection c, Optional<AuditEvent> event) throws SQLException {
    if (event.isPresent()) {
      SqlAuditLog.insert(db, c, event.get());
    }
  }

  private void mark(String id, String column, Instant at, Optional<AuditEvent> event) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(at, "at");
    db.write(
        c -> {
          if (find(c, id).isEmpty()) {
            throw new TrustbridgeException(ErrorCode.NOT_FOUND, "no such authority");
          }
          try (PreparedStatement insert =
                  c.prepareStatement(
                      "INSERT INTO authority_mark (authority_id) VALUES (?) ON CONFLICT DO NOTHING");
              PreparedStatement update =
                  c.prepareStatement(
                      "UPDATE authority_mark SET "
                          + column
                          + " = ? WHERE authority_id = ? AND "
                          + column
                          + " IS NULL")) {
            insert.setString(1, id);
            insert.executeUpdate();
            update.setLong(1, at.toEpochMilli());
            update.setString(2, id);
            update.executeUpdate();
          }
          audit(c, event);
          return null;
        });
  }

  @Override
  public Map<String, AuthorityMark> marks(TrustDomain trustDomain) {
    Objects.requireNonNull(trustDomain, "trustDomain");
    return db.read(
        c -> {
          Map<String, AuthorityMark> marks = new HashMap<>();
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT m.authority_id, m.tainted_at, m.revoked_at FROM authority_mark m"
                      + " JOIN authority a ON a.id = m.authority_id WHERE a.trust_domain = ?")) {
            ps.setString(1, trustDomain.name());
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                marks.put(
                    rs.getString(1),
                    new AuthorityMark(rs.getString(1), instant(rs, 2), instant(rs, 3)));
              }
            }
          }
          return Map.copyOf(marks);
        });
  }

  private static Optional<Instant> instant(ResultSet rs, int column) throws SQLException {
    long millis = rs.getLong(column);
    return rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(millis));
  }

  private static Optional<AuthorityRecord> find(Connection c, String id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(SELECT + " WHERE id = ?")) {
      ps.setString(1, id);
      return readAll(ps).stream().findFirst();
    }
  }

  private static List<AuthorityRecord> readAll(PreparedStatement ps) throws SQLException {
    List<AuthorityRecord> records = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        records.add(
            new AuthorityRecord(
                rs.getString(1),
                TrustDomain.parse(rs.getString(2)),
                AuthorityKind.valueOf(rs.getString(3)),
                AuthorityState.valueOf(rs.getString(4)),
                rs.getString(5),
                rs.getBytes(6),
                Optional.ofNullable(rs.getString(7)),
                Instant.ofEpochMilli(rs.getLong(8)),
                Instant.ofEpochMilli(rs.getLong(9)),
                Instant.ofEpochMilli(rs.getLong(10)),
                // sqlite-jdbc may read an empty BLOB as null.
                Objects.requireNonNullElse(rs.getBytes(11), NO_CHAIN)));
      }
    }
    return records;
  }
}
