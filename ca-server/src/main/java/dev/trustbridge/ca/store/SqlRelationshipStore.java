package dev.trustbridge.ca.store;

import dev.trustbridge.ca.federation.RelationshipStore;
import dev.trustbridge.federation.client.FederationRelationship;
import dev.trustbridge.spiffe.bundle.PemBundles;
import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.bundle.SpiffeBundleCodec;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.net.URI;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** {@link RelationshipStore} on two tables; bundles are kept as SPIFFE bundle documents. */
final class SqlRelationshipStore implements RelationshipStore {
  static final String DUPLICATE = "a relationship with this trust domain already exists";
  private static final String HTTPS_SPIFFE = "https_spiffe";
  private static final String HTTPS_WEB = "https_web";

  private final Database db;
  private final Clock clock;

  SqlRelationshipStore(Database db, Clock clock) {
    this.db = db;
    this.clock = clock;
  }

  @Override
  public void create(FederationRelationship relationship) {
    Objects.requireNonNull(relationship, "relationship");
    db.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO federation_relationship (trust_domain, url, profile,"
                      + " endpoint_spiffe_id, bootstrap_bundle, web_trust_anchors, created_at,"
                      + " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            bind(ps, relationship);
            long now = clock.millis();
            ps.setLong(7, now);
            ps.setLong(8, now);
            return ps.executeUpdate();
          }
        },
        DUPLICATE);
  }

  @Override
  public void update(FederationRelationship relationship) {
    Objects.requireNonNull(relationship, "relationship");
    db.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE federation_relationship SET trust_domain = ?, url = ?, profile = ?,"
                      + " endpoint_spiffe_id = ?, bootstrap_bundle = ?, web_trust_anchors = ?,"
                      + " updated_at = ? WHERE trust_domain = ?")) {
            bind(ps, relationship);
            ps.setLong(7, clock.millis());
            ps.setString(8, relationship.trustDomain().name());
            if (ps.executeUpdate() != 1) {
              throw new TrustbridgeException(
                  ErrorCode.NOT_FOUND, "no relationship with " + relationship.trustDomain());
            }
            return 1;
          }
        });
  }

  private static void bind(PreparedStatement ps, FederationRelationship relationship)
      throws SQLException {
    ps.setString(1, relationship.trustDomain().name());
    ps.setString(2, relationship.url().toString());
    if (relationship.profile() instanceof FederationRelationship.HttpsSpiffe spiffe) {
      ps.setString(3, HTTPS_SPIFFE);
      ps.setString(4, spiffe.endpointId().toString());
      ps.setBytes(5, SpiffeBundleCodec.write(spiffe.bootstrapBundle()));
      ps.setNull(6, Types.VARBINARY);
    } else {
      FederationRelationship.HttpsWeb web =
          (FederationRelationship.HttpsWeb) relationship.profile();
      ps.setString(3, HTTPS_WEB);
      ps.setNull(4, Types.VARCHAR);
      ps.setNull(5, Types.VARBINARY);
      ps.setBytes(
          6,
          web.trustAnchors().isEmpty() ? null : PemBundles.writeCertificates(web.trustAnchors()));
    }
  }

  @Override
  public boolean remove(TrustDomain trustDomain) {
    Objects.requireNonNull(trustDomain, "trustDomain");
    return db.write(
        c -> {
          int removed;
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM federation_relationship WHERE trust_domain = ?")) {
            ps.setString(1, trustDomain.name());
            removed = ps.executeUpdate();
          }
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM federated_bundle WHERE trust_domain = ?")) {
            ps.setString(1, trustDomain.name());
            ps.executeUpdate();
          }
          return removed == 1;
        });
  }

  @Override
  public Optional<FederationRelationship> get(TrustDomain trustDomain) {
    Objects.requireNonNull(trustDomain, "trustDomain");
    return list("WHERE trust_domain = ?", trustDomain.name()).stream().findFirst();
  }

  @Override
  public List<FederationRelationship> list() {
    return list("", null);
  }

  private List<FederationRelationship> list(String where, String parameter) {
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT trust_domain, url, profile, endpoint_spiffe_id, bootstrap_bundle,"
                      + " web_trust_anchors FROM federation_relationship "
                      + where
                      + " ORDER BY trust_domain")) {
            if (parameter != null) {
              ps.setString(1, parameter);
            }
            List<FederationRelationship> relationships = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                relationships.add(read(rs));
              }
            }
            return relationships;
          }
        });
  }

  private static FederationRelationship read(ResultSet rs) throws SQLException {
    TrustDomain td = TrustDomain.parse(rs.getString(1));
    URI url = URI.create(rs.getString(2));
    FederationRelationship.Profile profile;
    if (HTTPS_SPIFFE.equals(rs.getString(3))) {
      SpiffeId endpoint = SpiffeId.parse(rs.getString(4));
      profile =
          new FederationRelationship.HttpsSpiffe(
              endpoint, SpiffeBundleCodec.parse(endpoint.trustDomain(), rs.getBytes(5)));
    } else {
      byte[] anchors = rs.getBytes(6);
      profile =
          anchors == null
              ? FederationRelationship.HttpsWeb.systemRoots()
              : new FederationRelationship.HttpsWeb(
                  PemBundles.readBundle(td, anchors).x509Authorities());
    }
    return new FederationRelationship(td, url, profile);
  }

  @Override
  public Optional<SpiffeBundle> load(TrustDomain trustDomain) {
    Objects.requireNonNull(trustDomain, "trustDomain");
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT document FROM federated_bundle WHERE trust_domain = ?")) {
            ps.setString(1, trustDomain.name());
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next()
                  ? Optional.of(SpiffeBundleCodec.parse(trustDomain, rs.getBytes(1)))
                  : Optional.<SpiffeBundle>empty();
            }
          }
        });
  }

  @Override
  public void store(SpiffeBundle bundle) {
    Objects.requireNonNull(bundle, "bundle");
    byte[] document = SpiffeBundleCodec.write(bundle);
    db.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO federated_bundle (trust_domain, document, updated_at)"
                      + " VALUES (?, ?, ?) ON CONFLICT (trust_domain) DO UPDATE SET"
                      + " document = excluded.document, updated_at = excluded.updated_at")) {
            ps.setString(1, bundle.trustDomain().name());
            ps.setBytes(2, document);
            ps.setLong(3, clock.millis());
            return ps.executeUpdate();
          }
        });
  }

  @Override
  public void delete(TrustDomain trustDomain) {
    Objects.requireNonNull(trustDomain, "trustDomain");
    db.write(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM federated_bundle WHERE trust_domain = ?")) {
            ps.setString(1, trustDomain.name());
            return ps.executeUpdate();
          }
        });
  }

  @Override
  public List<TrustDomain> bundleTrustDomains() {
    return db.read(
        c -> {
          List<TrustDomain> tds = new ArrayList<>();
          try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT trust_domain FROM federated_bundle ORDER BY trust_domain");
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              tds.add(TrustDomain.parse(rs.getString(1)));
            }
          }
          return tds;
        });
  }
}
