package dev.trustbridge.spiffe.id;

import java.util.Objects;

/**
 * A SPIFFE ID, validated strictly by every rule of SPIFFE-ID.md section 2. An instance cannot hold
 * an invalid ID. The path is either empty (a trust domain ID such as {@code spiffe://example.org})
 * or a {@code /}-separated sequence of valid segments.
 */
public final class SpiffeId implements Comparable<SpiffeId> {
  private final TrustDomain trustDomain;
  private final String path;

  private SpiffeId(TrustDomain trustDomain, String path) {
    this.trustDomain = trustDomain;
    this.path = path;
  }

  /**
   * Parses a SPIFFE ID such as {@code spiffe://example.org/ns/default/sa/web}.
   *
   * @throws InvalidSpiffeIdException naming the first broken rule
   */
  public static SpiffeId parse(String id) {
    Objects.requireNonNull(id, "id");
    if (id.isEmpty()) {
      throw new InvalidSpiffeIdException(SpiffeIdRules.EMPTY);
    }
    if (SpiffeIdRules.utf8Length(id) > SpiffeIdRules.MAX_ID_BYTES) {
      throw new InvalidSpiffeIdException(SpiffeIdRules.TOO_LONG);
    }
    if (!id.startsWith(SpiffeIdRules.SCHEME_PREFIX)) {
      throw new InvalidSpiffeIdException(SpiffeIdRules.BAD_SCHEME);
    }
    String rest = id.substring(SpiffeIdRules.SCHEME_PREFIX.length());
    int query = rest.indexOf('?');
    int fragment = rest.indexOf('#');
    if (query >= 0 && (fragment < 0 || query < fragment)) {
      throw new InvalidSpiffeIdException(SpiffeIdRules.QUERY);
    }
    if (fragment >= 0) {
      throw new InvalidSpiffeIdException(SpiffeIdRules.FRAGMENT);
    }
    int slash = rest.indexOf('/');
    String authority = slash < 0 ? rest : rest.substring(0, slash);
    String path = slash < 0 ? "" : rest.substring(slash);
    TrustDomain trustDomain = TrustDomain.parse(authority);
    SpiffeIdRules.checkPath(path);
    return new SpiffeId(trustDomain, path);
  }

  /**
   * Builds an ID from a trust domain and a path that is empty or starts with {@code /}.
   *
   * @throws InvalidSpiffeIdException if the path or the whole ID breaks a rule
   */
  public static SpiffeId of(TrustDomain trustDomain, String path) {
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(path, "path");
    SpiffeIdRules.checkPath(path);
    SpiffeId id = new SpiffeId(trustDomain, path);
    if (SpiffeIdRules.utf8Length(id.toString()) > SpiffeIdRules.MAX_ID_BYTES) {
      throw new InvalidSpiffeIdException(SpiffeIdRules.TOO_LONG);
    }
    return id;
  }

  /**
   * Builds an ID from a trust domain and path segments, each checked on its own, e.g. {@code
   * fromSegments(td, "ns", "default", "sa", "web")}.
   */
  public static SpiffeId fromSegments(TrustDomain trustDomain, String... segments) {
    Objects.requireNonNull(trustDomain, "trustDomain");
    StringBuilder path = new StringBuilder();
    for (String segment : segments) {
      SpiffeIdRules.checkSegment(Objects.requireNonNull(segment, "segment"));
      path.append('/').append(segment);
    }
    return of(trustDomain, path.toString());
  }

  /** The trust domain this ID belongs to. */
  public TrustDomain trustDomain() {
    return trustDomain;
  }

  /** The path: empty, or starting with {@code /}; never with a trailing slash. */
  public String path() {
    return path;
  }

  /** True for a trust domain ID ({@code spiffe://td}), which has no path. */
  public boolean isTrustDomainId() {
    return path.isEmpty();
  }

  /** True if this ID belongs to the given trust domain. */
  public boolean isMemberOf(TrustDomain td) {
    return trustDomain.equals(td);
  }

  /**
   * True if {@code prefix} is this ID or an ancestor of it on path-segment boundaries: {@code
   * spiffe://td/ns/pay} is a prefix of {@code spiffe://td/ns/pay/sa/x} but not of {@code
   * spiffe://td/ns/payments}. A trust domain ID is a prefix of every ID in its trust domain.
   */
  public boolean hasPrefix(SpiffeId prefix) {
    if (!trustDomain.equals(prefix.trustDomain)) {
      return false;
    }
    if (prefix.path.isEmpty() || path.equals(prefix.path)) {
      return true;
    }
    return path.startsWith(prefix.path) && path.charAt(prefix.path.length()) == '/';
  }

  /** The java-spiffe value for this ID, for use at library edges. */
  public io.spiffe.spiffeid.SpiffeId toJavaSpiffe() {
    return io.spiffe.spiffeid.SpiffeId.parse(toString());
  }

  @Override
  public int compareTo(SpiffeId other) {
    return toString().compareTo(other.toString());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SpiffeId other
        && trustDomain.equals(other.trustDomain)
        && path.equals(other.path);
  }

  @Override
  public int hashCode() {
    return 31 * trustDomain.hashCode() + path.hashCode();
  }

  @Override
  public String toString() {
    return SpiffeIdRules.SCHEME_PREFIX + trustDomain.name() + path;
  }
}
