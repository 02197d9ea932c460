package dev.trustbridge.ca.entry;

import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A registration entry: the SPIFFE ID that callers authenticated as {@code parentId} (usually a
 * node agent) may obtain, with the DNS names and TTL its certificates carry.
 *
 * <p>Instances are immutable and always valid. {@code createdAt} is kept at millisecond precision
 * (the precision the datastore keeps), so an entry read back equals the one written.
 *
 * @param id the server-assigned id; empty ({@link #UNASSIGNED}) for an entry not yet stored
 * @param spiffeId the ID that certificates issued through this entry carry
 * @param parentId the ID of the caller (agent) allowed to obtain {@code spiffeId}
 * @param ttl the certificate lifetime for this entry, a positive whole number of seconds; empty for
 *     the server default
 * @param dnsNames DNS SANs to include, in order, without duplicates
 * @param admin whether holders of this ID may use the admin APIs
 * @param federatesWith foreign trust domains whose bundles holders of this ID receive
 * @param createdAt when the entry was created
 */
public record RegistrationEntry(
    String id,
    SpiffeId spiffeId,
    SpiffeId parentId,
    Optional<Duration> ttl,
    List<String> dnsNames,
    boolean admin,
    Set<TrustDomain> federatesWith,
    Instant createdAt) {

  /** The id of an entry that has not been stored yet. */
  public static final String UNASSIGNED = "";

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final int MAX_DNS_NAME_LENGTH = 253;

  /** Checks the invariants and makes immutable copies of the collections. */
  public RegistrationEntry {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(spiffeId, "spiffeId");
    Objects.requireNonNull(parentId, "parentId");
    Objects.requireNonNull(ttl, "ttl");
    Objects.requireNonNull(dnsNames, "dnsNames");
    Objects.requireNonNull(federatesWith, "federatesWith");
    Objects.requireNonNull(createdAt, "createdAt");
    if (!id.isEmpty() && !ID.matcher(id).matches()) {
      throw TrustbridgeException.invalidArgument(
          "entry id must be 1 to 64 characters of [A-Za-z0-9._-]");
    }
    ttl.ifPresent(RegistrationEntry::checkTtl);
    dnsNames = List.copyOf(dnsNames);
    checkDnsNames(dnsNames);
    federatesWith = Set.copyOf(federatesWith);
    createdAt = createdAt.truncatedTo(ChronoUnit.MILLIS);
  }

  /** A new entry without an id, for {@link EntryStore#create}. */
  public static RegistrationEntry unassigned(
      SpiffeId spiffeId,
      SpiffeId parentId,
      Optional<Duration> ttl,
      List<String> dnsNames,
      boolean admin,
      Set<TrustDomain> federatesWith,
      Instant createdAt) {
    return new RegistrationEntry(
        UNASSIGNED, spiffeId, parentId, ttl, dnsNames, admin, federatesWith, createdAt);
  }

  /** True if this entry has been given an id. */
  public boolean hasId() {
    return !id.isEmpty();
  }

  /** This entry with another id. */
  public RegistrationEntry withId(String newId) {
    return new RegistrationEntry(
        newId, spiffeId, parentId, ttl, dnsNames, admin, federatesWith, createdAt);
  }

  /** This entry with another creation time. */
  public RegistrationEntry withCreatedAt(Instant newCreatedAt) {
    return new RegistrationEntry(
        id, spiffeId, parentId, ttl, dnsNames, admin, federatesWith, newCreatedAt);
  }

  private static void checkTtl(Duration ttl) {
    if (ttl.isNegative() || ttl.isZero()) {
      throw TrustbridgeException.invalidArgument("entry ttl must be positive");
    }
    if (ttl.getNano() != 0) {
      throw TrustbridgeException.invalidArgument("entry ttl must be a whole number of seconds");
    }
  }

  private static void checkDnsNames(List<String> dnsNames) {
    Set<String> seen = new HashSet<>();
    for (String name : dnsNames) {
      if (name.isBlank() || name.length() > MAX_DNS_NAME_LENGTH) {
        throw TrustbridgeException.invalidArgument(
            "entry DNS names must be 1 to 253 characters and not blank");
      }
      if (!seen.add(name)) {
        throw TrustbridgeException.invalidArgument("entry DNS names must not repeat: " + name);
      }
    }
  }
}
