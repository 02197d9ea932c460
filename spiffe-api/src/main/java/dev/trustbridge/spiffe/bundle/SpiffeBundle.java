package dev.trustbridge.spiffe.bundle;

import dev.trustbridge.spiffe.id.TrustDomain;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The trust bundle of one trust domain (SPIFFE_Trust_Domain_and_Bundle.md): its X.509 authorities
 * (the CA certificates X509-SVIDs chain to), its JWT authorities (the keys JWT-SVIDs are signed
 * with, by {@code kid}), and the optional {@code spiffe_sequence} and {@code spiffe_refresh_hint}.
 *
 * <p>Immutable. Every value can be written by {@link SpiffeBundleCodec} and read back equal,
 * because the builder refuses what a reader would ignore: X.509 authorities must be CA certificates
 * ({@code cA=true}, and {@code keyCertSign} if key usage is present) with an EC P-256/P-384/P-521,
 * RSA (at least 2048 bits) or Ed25519 key; JWT authorities must be EC P-256/P-384/P-521 or RSA (at
 * least 2048 bits) keys with a non-empty {@code kid}. Expired authorities are kept: path validation
 * rejects them anyway (ambiguity A13).
 *
 * <p>X.509 authorities keep their insertion order (for stable output) without duplicates by DER
 * encoding; JWT authorities are sorted by {@code kid}. Equality compares the trust domain, the set
 * of DER encodings (order carries no meaning), the JWT keys by {@code kid} and key value, the
 * sequence and the refresh hint.
 */
public final class SpiffeBundle {
  /** The largest sequence number, 2^64-1 (ambiguity A5: at least 64 bits, unsigned). */
  public static final BigInteger MAX_SEQUENCE =
      BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

  private final TrustDomain trustDomain;
  private final List<X509Certificate> x509Authorities;
  private final Set<ByteBuffer> x509Ders;
  private final Map<String, PublicKey> jwtAuthorities;
  private final Map<String, JwkKey> jwtKeys;
  private final BigInteger sequence;
  private final Duration refreshHint;

  private SpiffeBundle(Builder b) {
    this.trustDomain = b.trustDomain;
    this.x509Authorities = List.copyOf(b.x509.values());
    this.x509Ders = Set.copyOf(b.x509.keySet());
    this.jwtAuthorities = Collections.unmodifiableMap(new TreeMap<>(b.jwt));
    this.jwtKeys = Map.copyOf(b.jwtKeys);
    this.sequence = b.sequence;
    this.refreshHint = b.refreshHint;
  }

  /** A builder for a bundle of the given trust domain, starting with no keys. */
  public static Builder builder(TrustDomain trustDomain) {
    return new Builder(Objects.requireNonNull(trustDomain, "trustDomain"));
  }

  /** A bundle with no keys, sequence or hint: it trusts nothing. */
  public static SpiffeBundle empty(TrustDomain trustDomain) {
    return builder(trustDomain).build();
  }

  /** A builder holding this bundle's contents. */
  public Builder toBuilder() {
    Builder b = new Builder(trustDomain);
    b.x509.putAll(orderedDers());
    b.jwt.putAll(jwtAuthorities);
    b.jwtKeys.putAll(jwtKeys);
    b.sequence = sequence;
    b.refreshHint = refreshHint;
    return b;
  }

  /** The trust domain this bundle belongs to (the document itself does not name it). */
  public TrustDomain trustDomain() {
    return trustDomain;
  }

  /** The CA certificates, in insertion order, without duplicates. Unmodifiable. */
  public List<X509Certificate> x509Authorities() {
    return x509Authorities;
  }

  /** The JWT-SVID verification keys by {@code kid}, sorted by {@code kid}. Unmodifiable. */
  public Map<String, PublicKey> jwtAuthorities() {
    return jwtAuthorities;
  }

  /** {@code spiffe_sequence}, between 0 and {@link #MAX_SEQUENCE}. */
  public Optional<BigInteger> sequence() {
    return Optional.ofNullable(sequence);
  }

  /** {@code spiffe_refresh_hint}, a positive whole number of seconds. */
  public Optional<Duration> refreshHint() {
    return Optional.ofNullable(refreshHint);
  }

  /**
   * True when the bundle holds no usable key at all. SPIFFE_Trust_Domain_and_Bundle.md 4.1.3: all
   * SVIDs of the trust domain must then be treated as invalid (every key was revoked).
   */
  public boolean isEffectivelyEmpty() {
    return x509Authorities.isEmpty() && jwtAuthorities.isEmpty();
  }

  /** This bundle with the given sequence number. */
  public SpiffeBundle withSequence(BigInteger sequence) {
    return toBuilder().sequence(sequence).build();
  }

  /** This bundle without a sequence number. */
  public SpiffeBundle withoutSequence() {
    return toBuilder().noSequence().build();
  }

  /** This bundle with the given refresh hint. */
  public SpiffeBundle withRefreshHint(Duration refreshHint) {
    return toBuilder().refreshHint(refreshHint).build();
  }

  /** This bundle without a refresh hint (as inside a bundle map). */
  public SpiffeBundle withoutRefreshHint() {
    return toBuilder().noRefreshHint().build();
  }

  /** The X.509 authorities as a java-spiffe bundle, for use at library edges (a fresh copy). */
  public io.spiffe.bundle.x509bundle.X509Bundle toJavaSpiffeX509Bundle() {
    return new io.spiffe.bundle.x509bundle.X509Bundle(
        trustDomain.toJavaSpiffe(), new LinkedHashSet<>(x509Authorities));
  }

  Map<String, JwkKey> jwtKeys() {
    return jwtKeys;
  }

  private Map<ByteBuffer, X509Certificate> orderedDers() {
    Map<ByteBuffer, X509Certificate> m = new LinkedHashMap<>();
    for (X509Certificate cert : x509Authorities) {
      m.put(ByteBuffer.wrap(X509Authorities.der(cert)), cert);
    }
    return m;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SpiffeBundle other
        && trustDomain.equals(other.trustDomain)
        && x509Ders.equals(other.x509Ders)
        && jwtKeys.equals(other.jwtKeys)
        && Objects.equals(sequence, other.sequence)
        && Objects.equals(refreshHint, other.refreshHint);
  }

  @Override
  public int hashCode() {
    return Objects.hash(trustDomain, x509Ders, jwtKeys, sequence, refreshHint);
  }

  /** Counts and identifiers only; never certificate or key material. */
  @Override
  public String toString() {
    return "SpiffeBundle[trustDomain="
        + trustDomain
        + ", x509Authorities="
        + x509Authorities.size()
        + ", jwtAuthorities="
        + jwtAuthorities.keySet()
        + ", sequence="
        + (sequence == null ? "none" : sequence)
        + ", refreshHint="
        + (refreshHint == null ? "none" : refreshHint)
        + "]";
  }

  /**
   * Builds a {@link SpiffeBundle}. Every method refuses invalid input at once with an {@link
   * InvalidBundleException}, so a built bundle is always valid and writable.
   */
  public static final class Builder {
    private final TrustDomain trustDomain;
    private final Map<ByteBuffer, X509Certificate> x509 = new LinkedHashMap<>();
    private final Map<String, PublicKey> jwt = new LinkedHashMap<>();
    private final Map<String, JwkKey> jwtKeys = new LinkedHashMap<>();
    private BigInteger sequence;
    private Duration refreshHint;

    private Builder(TrustDomain trustDomain) {
      this.trustDomain = trustDomain;
    }

    /**
     * Adds a CA certificate; one already present (same DER) is not added twice.
     *
     * @throws InvalidBundleException {@link InvalidBundleException#AUTHORITY_NOT_CA}, {@link
     *     InvalidBundleException#AUTHORITY_KEY_UNSUPPORTED}
     */
    public Builder addX509Authority(X509Certificate ca) {
      Objects.requireNonNull(ca, "ca");
      byte[] der = X509Authorities.der(ca);
      if (!X509Authorities.isCa(ca)) {
        throw new InvalidBundleException(InvalidBundleException.AUTHORITY_NOT_CA);
      }
      if (JwkKey.of(ca.getPublicKey()).isEmpty()) {
        throw new InvalidBundleException(InvalidBundleException.AUTHORITY_KEY_UNSUPPORTED);
      }
      x509.putIfAbsent(ByteBuffer.wrap(der), ca);
      return this;
    }

    /** Adds each certificate as {@link #addX509Authority} does. */
    public Builder addX509Authorities(Collection<X509Certificate> cas) {
      for (X509Certificate ca : new ArrayList<>(Objects.requireNonNull(cas, "cas"))) {
        addX509Authority(ca);
      }
      return this;
    }

    /** Removes a CA certificate (by DER encoding) if present: revocation by omission. */
    public Builder removeX509Authority(X509Certificate ca) {
      x509.remove(ByteBuffer.wrap(X509Authorities.der(Objects.requireNonNull(ca, "ca"))));
      return this;
    }

    /**
     * Adds a JWT-SVID verification key.
     *
     * @throws InvalidBundleException {@link InvalidBundleException#KID_INVALID}, {@link
     *     InvalidBundleException#JWT_KEY_UNSUPPORTED}, {@link InvalidBundleException#DUPLICATE_KID}
     */
    public Builder addJwtAuthority(String kid, PublicKey key) {
      Objects.requireNonNull(kid, "kid");
      Objects.requireNonNull(key, "key");
      if (!isValidKid(kid)) {
        throw new InvalidBundleException(InvalidBundleException.KID_INVALID);
      }
      Optional<JwkKey> jwk = JwkKey.of(key).filter(JwkKey::isJwtSvidKey);
      if (jwk.isEmpty()) {
        throw new InvalidBundleException(InvalidBundleException.JWT_KEY_UNSUPPORTED);
      }
      if (jwt.containsKey(kid)) {
        throw new InvalidBundleException(InvalidBundleException.DUPLICATE_KID);
      }
      jwt.put(kid, key);
      jwtKeys.put(kid, jwk.get());
      return this;
    }

    /** Removes the JWT authority with this {@code kid} if present. */
    public Builder removeJwtAuthority(String kid) {
      jwt.remove(Objects.requireNonNull(kid, "kid"));
      jwtKeys.remove(kid);
      return this;
    }

    /**
     * Sets {@code spiffe_sequence}.
     *
     * @throws InvalidBundleException {@link InvalidBundleException#SEQUENCE_NEGATIVE}, {@link
     *     InvalidBundleException#SEQUENCE_TOO_LARGE}
     */
    public Builder sequence(BigInteger sequence) {
      Objects.requireNonNull(sequence, "sequence");
      if (sequence.signum() < 0) {
        throw new InvalidBundleException(InvalidBundleException.SEQUENCE_NEGATIVE);
      }
      if (sequence.compareTo(MAX_SEQUENCE) > 0) {
        throw new InvalidBundleException(InvalidBundleException.SEQUENCE_TOO_LARGE);
      }
      this.sequence = sequence;
      return this;
    }

    /** Clears {@code spiffe_sequence}. */
    public Builder noSequence() {
      this.sequence = null;
      return this;
    }

    /**
     * Sets {@code spiffe_refresh_hint}.
     *
     * @throws InvalidBundleException {@link InvalidBundleException#REFRESH_HINT_INVALID} unless a
     *     positive whole number of seconds
     */
    public Builder refreshHint(Duration refreshHint) {
      Objects.requireNonNull(refreshHint, "refreshHint");
      if (refreshHint.isNegative() || refreshHint.isZero() || refreshHint.getNano() != 0) {
        throw new InvalidBundleException(InvalidBundleException.REFRESH_HINT_INVALID);
      }
      this.refreshHint = refreshHint;
      return this;
    }

    /** Clears {@code spiffe_refresh_hint}. */
    public Builder noRefreshHint() {
      this.refreshHint = null;
      return this;
    }

    /** The bundle. */
    public SpiffeBundle build() {
      return new SpiffeBundle(this);
    }
  }

  /** A non-empty string without unpaired surrogates, so that it can be written as UTF-8. */
  static boolean isValidKid(String kid) {
    if (kid.isEmpty()) {
      return false;
    }
    for (int i = 0; i < kid.length(); i++) {
      char c = kid.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= kid.length() || !Character.isLowSurrogate(kid.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }
}
