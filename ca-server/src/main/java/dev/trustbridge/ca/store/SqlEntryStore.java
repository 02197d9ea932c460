package dev.trustbridge.ca.store;

import dev.trustbridge.ca.entry.EntryStore;
import dev.trustbridge.ca.entry.RegistrationEntry;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/** {@link EntryStore} on three tables: entries, their DNS names, their federated trust domains. */
final class SqlEntryStore implements EntryStore {
  static final String DUPLICATE =
      "a registration entry with this SPIFFE ID and parent ID, or this id, already exists";

  private static final String COLUMNS =
      "e.id, e.spiffe_id, e.parent_id, e.ttl_seconds, e.admin, e.created_at";

  private final Database db;
  private final SecureRandom random = new SecureRandom();

  SqlEntryStore(Database db) {
    this.db = db;
  }

  @Override
  public RegistrationEntry create(RegistrationEntry entry) {
    Objects.requireNonNull(entry, "entry");
    RegistrationEntry stored = entry.hasId() ? entry : entry.withId(newId());
    return db.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO registration_entry"
                      + " (id, spiffe_id, parent_id, ttl_seconds, admin, created_at)"
                      + " VALUES (?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, stored.id());
            setColumns(ps, 2, stored);
            ps.setLong(6, stored.createdAt().toEpochMilli());
            ps.executeUpdate();
          }
          insertChildren(c, stored);
          return stored;
        },
        DUPLICATE);
  }

  @Override
  public Optional<RegistrationEntry> get(String id) {
    Objects.requireNonNull(id, "id");
    return db.read(c -> load(db, c, "e.id = ?", id)).stream().findFirst();
  }

  @Override
  public List<RegistrationEntry> list() {
    return db.read(c -> load(db, c, "1 = 1", null));
  }

  @Override
  public List<RegistrationEntry> listByParent(SpiffeId parentId) {
    Objects.requireNonNull(parentId, "parentId");
    return db.read(c -> load(db, c, "e.parent_id = ?", parentId.toString()));
  }

  @Override
  public List<RegistrationEntry> listBySpiffeId(SpiffeId spiffeId) {
    Objects.requireNonNull(spiffeId, "spiffeId");
    return db.read(c -> load(db, c, "e.spiffe_id = ?", spiffeId.toString()));
  }

  @Override
  public boolean delete(String id) {
    Objects.requireNonNull(id, "id");
    // The child rows go by ON DELETE CASCADE.
    return db.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM registration_entry WHERE id = ?")) {
            ps.setString(1, id);
            return ps.executeUpdate() > 0;
          }
        });
  }

  @Override
  public RegistrationEntry update(RegistrationEntry entry) {
    Objects.requireNonNull(entry, "entry");
    return db.write(
        c -> {
          Optional<RegistrationEntry> existing =
              load(db, c, "e.id = ?", entry.id()).stream().findFirst();
          if (existing.isEmpty()) {
            throw new TrustbridgeException(ErrorCode.NOT_FOUND, "no such registration entry");
          }
          RegistrationEntry stored = entry.withCreatedAt(existing.get().createdAt());
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE registration_entry"
                      + " SET spiffe_id = ?, parent_id = ?, ttl_seconds = ?, admin = ?"
                      + " WHERE id = ?")) {
            setColumns(ps, 1, stored);
            ps.setString(5, stored.id());
            if (ps.executeUpdate() != 1) {
              // Deleted by another process since the read above (a replica sharing the database).
              throw new TrustbridgeException(ErrorCode.NOT_FOUND, "no such registration entry");
            }
          }
          for (String table :
              List.of("registration_entry_dns_name", "registration_entry_federates_with")) {
            try (PreparedStatement ps =
                c.prepareStatement("DELETE FROM " + table + " WHERE entry_id = ?")) {
              ps.setString(1, stored.id());
              ps.executeUpdate();
            }
          }
          insertChildren(c, stored);
          return stored;
        },
        DUPLICATE);
  }

  private String newId() {
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  /** Sets spiffe_id, parent_id, ttl_seconds, admin from parameter {@code first} on. */
  private static void setColumns(PreparedStatement ps, int first, RegistrationEntry entry)
      throws SQLException {
    ps.setString(first, entry.spiffeId().toString());
    ps.setString(first + 1, entry.parentId().toString());
    if (entry.ttl().isPresent()) {
      ps.setLong(first + 2, entry.ttl().get().getSeconds());
    } else {
      ps.setNull(first + 2, Types.BIGINT);
    }
    ps.setBoolean(first + 3, entry.admin());
  }

  private static void insertChildren(Connection c, RegistrationEntry entry) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO registration_entry_dns_name (entry_id, ordinal, dns_name)"
                + " VALUES (?, ?, ?)")) {
      int ordinal = 0;
      for (String name : entry.dnsNames()) {
        ps.setString(1, entry.id());
        ps.setInt(2, ordinal++);
        ps.setString(3, name);
        ps.addBatch();
      }
      ps.executeBatch();
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO registration_entry_federates_with (entry_id, trust_domain)"
                + " VALUES (?, ?)")) {
      for (TrustDomain td : entry.federatesWith()) {
        ps.setString(1, entry.id());
        ps.setString(2, td.name());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /**
   * The entries matching {@code where} (a constant condition on alias {@code e} with at most one
   * parameter), with their DNS names and federated trust domains: three queries, not one per entry.
   */
  private static List<RegistrationEntry> load(Database db, Connection c, String where, String param)
      throws SQLException {
    Map<String, List<String>> dnsNames = new HashMap<>();
    String dnsSql =
        "SELECT d.entry_id, d.dns_name FROM registration_entry_dns_name d"
            + " JOIN registration_entry e ON e.id = d.entry_id WHERE "
            + where
            + " ORDER BY d.entry_id, d.ordinal";
    try (ResultSet rs = prepare(db, c, dnsSql, param).executeQuery()) {
      while (rs.next()) {
        dnsNames.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getString(2));
      }
    }
    Map<String, Set<TrustDomain>> federatesWith = new HashMap<>();
    String fedSql =
        "SELECT f.entry_id, f.trust_domain FROM registration_entry_federates_with f"
            + " JOIN registration_entry e ON e.id = f.entry_id WHERE "
            + where;
    try (ResultSet rs = prepare(db, c, fedSql, param).executeQuery()) {
      while (rs.next()) {
        federatesWith
            .computeIfAbsent(rs.getString(1), k -> new HashSet<>())
            .add(TrustDomain.parse(rs.getString(2)));
      }
    }
    Map<String, RegistrationEntry> entries = new LinkedHashMap<>();
    String sql =
        "SELECT "
            + COLUMNS
            + " FROM registration_entry e WHERE "
            + where
            + " ORDER BY e.created_at, e.id";
    try (ResultSet rs = prepare(db, c, sql, param).executeQuery()) {
      while (rs.next()) {
        String id = rs.getString(1);
        long ttl = rs.getLong(4);
        Optional<Duration> ttlValue =
            rs.wasNull() ? Optional.empty() : Optional.of(Duration.ofSeconds(ttl));
        entries.put(
            id,
            new RegistrationEntry(
                id,
                SpiffeId.parse(rs.getString(2)),
                SpiffeId.parse(rs.getString(3)),
                ttlValue,
                dnsNames.getOrDefault(id, List.of()),
                rs.getBoolean(5),
                federatesWith.getOrDefault(id, Set.of()),
                Instant.ofEpochMilli(rs.getLong(6))));
      }
    }
    return List.copyOf(entries.values());
  }

  /** The cached statement for {@code sql}: the three queries run on every issuance. */
  private static PreparedStatement prepare(Database db, Connection c, String sql, String param)
      throws SQLException {
    PreparedStatement ps = db.prepared(c, sql);
    if (param != null) {
      ps.setString(1, param);
    }
    return ps;
  }
}
