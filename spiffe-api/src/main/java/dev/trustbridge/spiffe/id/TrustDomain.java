package dev.trustbridge.spiffe.id;

import java.util.Objects;

/**
 * A SPIFFE trust domain name, validated by the rules of SPIFFE-ID.md section 2.1: non-empty,
 * lowercase {@code [a-z0-9._-]} only, no port, userinfo or percent-encoding, at most 255 bytes.
 * Names are compared exactly: no DNS or IP interpretation is applied.
 */
public final class TrustDomain implements Comparable<TrustDomain> {
  private final String name;

  private TrustDomain(String name) {
    this.name = name;
  }

  /**
   * Parses a bare trust domain name such as {@code example.org}.
   *
   * @throws InvalidSpiffeIdException naming the broken rule
   */
  public static TrustDomain parse(String name) {
    Objects.requireNonNull(name, "name");
    SpiffeIdRules.checkTrustDomain(name);
    return new TrustDomain(name);
  }

  /** The name, e.g. {@code example.org}. */
  public String name() {
    return name;
  }

  /** The trust domain's own SPIFFE ID, {@code spiffe://<name>}, which has no path. */
  public SpiffeId id() {
    return SpiffeId.of(this, "");
  }

  /** The java-spiffe value for this trust domain, for use at library edges. */
  public io.spiffe.spiffeid.TrustDomain toJavaSpiffe() {
    return io.spiffe.spiffeid.TrustDomain.parse(name);
  }

  @Override
  public int compareTo(TrustDomain other) {
    return name.compareTo(other.name);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TrustDomain other && name.equals(other.name);
  }

  @Override
  public int hashCode() {
    return name.hashCode();
  }

  @Override
  public String toString() {
    return name;
  }
}
