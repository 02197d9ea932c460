package dev.trustbridge.ca.store;

import dev.trustbridge.ca.audit.AuditEvent;
import dev.trustbridge.ca.audit.AuditLog;
import dev.trustbridge.ca.audit.AuditQuery;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** {@link AuditLog} on one append-only table. */
final class SqlAuditLog implements AuditLog {
  private static final String INSERT =
      "INSERT INTO audit_event (at, caller, action, subject, outcome, detail, serial, expires_at)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

  private final Database db;

  SqlAuditLog(Database db) {
    this.db = db;
  }

  @Override
  public void append(AuditEvent event) {
    appendAll(List.of(Objects.requireNonNull(event, "event")));
  }

  /** Appends the events in one transaction. */
  @Override
  public void appendAll(List<AuditEvent> events) {
    List<AuditEvent> copy = List.copyOf(events);
    if (copy.isEmpty()) {
      return;
    }
    db.write(
        c -> {
          for (AuditEvent event : copy) {
            insert(db, c, event);
          }
          return null;
        });
  }

  /** Inserts {@code event} in the transaction that {@code c} is in (another store's write). */
  static void insert(Database db, Connection c, AuditEvent event) throws SQLException {
    PreparedStatement ps = db.prepared(c, INSERT);
    bind(ps, event);
    ps.executeUpdate();
  }

  private static void bind(PreparedStatement ps, AuditEvent event) throws SQLException {
    ps.setLong(1, event.at().toEpochMilli());
    ps.setString(2, event.caller());
    ps.setString(3, event.action());
    ps.setString(4, event.subject());
    ps.setString(5, event.outcome());
    ps.setString(6, event.detail());
    if (event.serial().isPresent()) {
      ps.setString(7, event.serial().get());
    } else {
      ps.setNull(7, Types.VARCHAR);
    }
    if (event.expiresAt().isPresent()) {
      ps.setLong(8, event.expiresAt().get().toEpochMilli());
    } else {
      ps.setNull(8, Types.BIGINT);
    }
  }

  @Override
  public List<AuditEvent> query(AuditQuery query) {
    Objects.requireNonNull(query, "query");
    StringBuilder sql =
        new StringBuilder(
            "SELECT id, at, caller, action, subject, outcome, detail, serial, expires_at"
                + " FROM audit_event WHERE 1 = 1");
    List<Object> params = new ArrayList<>();
    query.since().ifPresent(t -> add(sql, params, " AND at >= ?", t.toEpochMilli()));
    query.until().ifPresent(t -> add(sql, params, " AND at < ?", t.toEpochMilli()));
    query.subject().ifPresent(s -> add(sql, params, " AND subject = ?", s));
    query.action().ifPresent(s -> add(sql, params, " AND action = ?", s));
    query.outcome().ifPresent(s -> add(sql, params, " AND outcome = ?", s));
    sql.append(" ORDER BY at DESC, id DESC LIMIT ?");
    params.add(query.limit());
    return db.read(
        c -> {
          try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < params.size(); i++) {
              ps.setObject(i + 1, params.get(i));
            }
            List<AuditEvent> events = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                long expiresAt = rs.getLong(9);
                Optional<Instant> expires =
                    rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(expiresAt));
                events.add(
                    new AuditEvent(
                        rs.getLong(1),
                        Instant.ofEpochMilli(rs.getLong(2)),
                        rs.getString(3),
                        rs.getString(4),
                        rs.getString(5),
                        rs.getString(6),
                        rs.getString(7),
                        Optional.ofNullable(rs.getString(8)),
                        expires));
              }
            }
            return events;
          }
        });
  }

  private static void add(StringBuilder sql, List<Object> params, String condition, Object value) {
    sql.append(condition);
    params.add(value);
  }
}
