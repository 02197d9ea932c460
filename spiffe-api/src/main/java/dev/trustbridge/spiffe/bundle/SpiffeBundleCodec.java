package dev.trustbridge.spiffe.bundle;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads and writes the SPIFFE bundle document: an RFC 7517 JWK Set with {@code spiffe_sequence} and
 * {@code spiffe_refresh_hint} (SPIFFE_Trust_Domain_and_Bundle.md section 4, X509-SVID.md section 6,
 * JWT-SVID.md section 6).
 *
 * <p><b>Reading</b> rejects the whole document, with an {@link InvalidBundleException}, when: it is
 * larger than {@link #MAX_DOCUMENT_BYTES}, not strict UTF-8, starts with a byte order mark, is not
 * one well-formed JSON value, exceeds the nesting/string/number limits, has a duplicate member name
 * anywhere, is not an object, lacks {@code keys} or has a {@code keys} that is not an array, has a
 * {@code spiffe_sequence} that is not a non-negative integer literal up to 2^64-1, or has two
 * usable {@code jwt-svid} keys with the same {@code kid}. Everything else that is wrong concerns
 * one JWK, and that JWK alone is ignored:
 *
 * <ul>
 *   <li>not an object; {@code use} missing or not exactly {@code x509-svid} or {@code jwt-svid};
 *       {@code kty} missing or not {@code EC}, {@code RSA} or {@code OKP};
 *   <li>{@code x509-svid}: {@code x5c} missing, not an array or empty; its first value not a
 *       canonical padded standard base64 string of exactly one DER certificate; that certificate
 *       not a CA ({@code cA=true}, {@code keyCertSign} if key usage is present); its key not one a
 *       bundle can hold; the JWK's key parameters missing, malformed or not the certificate's key.
 *       Values of {@code x5c} after the first are ignored unread (ambiguity A4); a {@code kid} is
 *       ignored;
 *   <li>{@code jwt-svid}: {@code kid} missing, empty or not a string (ambiguity A6); key parameters
 *       missing or malformed (EC: P-256/P-384/P-521, fixed-length unpadded base64url coordinates of
 *       a point on the curve; RSA: modulus of at least 2048 bits, odd exponent); {@code kty} {@code
 *       OKP}, since JWT-SVID allows no EdDSA algorithm.
 * </ul>
 *
 * <p>{@code spiffe_refresh_hint} is read when it is an integer literal from 1 to 2^63-1 seconds;
 * any other value (zero, negative, fraction, string, ...) is ignored as if absent, since it is only
 * a hint. The name {@code refresh_hint} (ambiguity A7) is an unknown member and, like every other
 * unknown top-level member, is ignored.
 *
 * <p><b>Writing</b> produces compact, deterministic UTF-8 JSON: {@code keys} (always present), then
 * {@code spiffe_refresh_hint} and {@code spiffe_sequence} when set. One {@code x509-svid} JWK per
 * CA with {@code use}, {@code kty}, the key parameters and an {@code x5c} of exactly one standard
 * base64 DER certificate, and no {@code kid}; then one {@code jwt-svid} JWK per key, sorted by
 * {@code kid}, with {@code use}, {@code kid}, {@code kty} and the key parameters. Nothing else.
 */
public final class SpiffeBundleCodec {
  /** The largest bundle document read, in bytes. */
  public static final int MAX_DOCUMENT_BYTES = 1024 * 1024;

  static final String USE_X509 = "x509-svid";
  static final String USE_JWT = "jwt-svid";

  /** Writes supplementary characters as 4-byte UTF-8 rather than as escaped surrogate pairs. */
  static final JsonFactory WRITER =
      JsonFactory.builder().enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8).build();

  private SpiffeBundleCodec() {}

  /**
   * Parses a bundle document of the given trust domain (which the document itself does not name).
   *
   * @throws InvalidBundleException with one of its message constants; nothing else is thrown
   */
  public static SpiffeBundle parse(TrustDomain trustDomain, byte[] utf8Json) {
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(utf8Json, "utf8Json");
    return fromTree(trustDomain, JsonTree.parse(utf8Json, MAX_DOCUMENT_BYTES), true);
  }

  /** Writes a bundle document as UTF-8 JSON. */
  public static byte[] write(SpiffeBundle bundle) {
    Objects.requireNonNull(bundle, "bundle");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = WRITER.createGenerator(out, JsonEncoding.UTF8)) {
      writeTo(g, bundle, true);
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory failed", e);
    }
    return out.toByteArray();
  }

  /** Builds a bundle from a parsed document; a bundle map passes {@code readRefreshHint=false}. */
  static SpiffeBundle fromTree(TrustDomain td, JsonTree.Value value, boolean readRefreshHint) {
    if (!(value instanceof JsonTree.Obj doc)) {
      throw new InvalidBundleException(InvalidBundleException.BUNDLE_NOT_OBJECT);
    }
    JsonTree.Value keys = doc.get("keys");
    if (keys == null) {
      throw new InvalidBundleException(InvalidBundleException.KEYS_MISSING);
    }
    if (!(keys instanceof JsonTree.Arr entries)) {
      throw new InvalidBundleException(InvalidBundleException.KEYS_NOT_ARRAY);
    }
    SpiffeBundle.Builder builder = SpiffeBundle.builder(td);
    readSequence(doc.get("spiffe_sequence")).ifPresent(builder::sequence);
    if (readRefreshHint) {
      readRefreshHint(doc.get("spiffe_refresh_hint")).ifPresent(builder::refreshHint);
    }
    for (JsonTree.Value entry : entries.elements()) {
      readEntry(builder, entry);
    }
    return builder.build();
  }

  private static Optional<BigInteger> readSequence(JsonTree.Value value) {
    if (value == null) {
      return Optional.empty();
    }
    if (!(value instanceof JsonTree.Num num) || num.integer() == null) {
      throw new InvalidBundleException(InvalidBundleException.SEQUENCE_NOT_INTEGER);
    }
    // Range errors come from the builder with their own messages.
    return Optional.of(num.integer());
  }

  private static Optional<Duration> readRefreshHint(JsonTree.Value value) {
    if (value instanceof JsonTree.Num num
        && num.integer() != null
        && num.integer().signum() > 0
        && num.integer().bitLength() < Long.SIZE) {
      return Optional.of(Duration.ofSeconds(num.integer().longValueExact()));
    }
    return Optional.empty();
  }

  private static void readEntry(SpiffeBundle.Builder builder, JsonTree.Value value) {
    if (!(value instanceof JsonTree.Obj jwk)) {
      return;
    }
    Optional<String> use = string(jwk, "use");
    Optional<String> kty =
        string(jwk, "kty").filter(k -> k.equals("EC") || k.equals("RSA") || k.equals("OKP"));
    if (use.isEmpty() || kty.isEmpty()) {
      return;
    }
    if (use.get().equals(USE_X509)) {
      readX509Authority(jwk, kty.get()).ifPresent(builder::addX509Authority);
    } else if (use.get().equals(USE_JWT)) {
      Optional<String> kid = string(jwk, "kid").filter(SpiffeBundle::isValidKid);
      Optional<JwkKey> key = JwkKey.read(kty.get(), jwk).filter(JwkKey::isJwtSvidKey);
      if (kid.isPresent() && key.isPresent()) {
        builder.addJwtAuthority(kid.get(), key.get().toPublicKey());
      }
    }
  }

  private static Optional<X509Certificate> readX509Authority(JsonTree.Obj jwk, String kty) {
    if (!(jwk.get("x5c") instanceof JsonTree.Arr x5c)
        || x5c.elements().isEmpty()
        || !(x5c.elements().get(0) instanceof JsonTree.Str first)) {
      return Optional.empty();
    }
    Optional<X509Certificate> cert =
        Base64Text.decodeStandard(first.value())
            .flatMap(X509Authorities::fromDer)
            .filter(X509Authorities::isCa);
    if (cert.isEmpty()) {
      return Optional.empty();
    }
    Optional<JwkKey> certKey = JwkKey.of(cert.get().getPublicKey());
    Optional<JwkKey> jwkKey = JwkKey.read(kty, jwk);
    return certKey.isPresent() && certKey.equals(jwkKey) ? cert : Optional.empty();
  }

  private static Optional<String> string(JsonTree.Obj jwk, String name) {
    return jwk.get(name) instanceof JsonTree.Str s ? Optional.of(s.value()) : Optional.empty();
  }

  /** Writes one bundle object; a bundle map passes {@code writeRefreshHint=false}. */
  static void writeTo(JsonGenerator g, SpiffeBundle bundle, boolean writeRefreshHint)
      throws IOException {
    g.writeStartObject();
    g.writeArrayFieldStart("keys");
    for (X509Certificate ca : bundle.x509Authorities()) {
      g.writeStartObject();
      g.writeStringField("use", USE_X509);
      writeKeyMembers(g, JwkKey.of(ca.getPublicKey()).orElseThrow());
      g.writeArrayFieldStart("x5c");
      g.writeString(Base64Text.encodeStandard(X509Authorities.der(ca)));
      g.writeEndArray();
      g.writeEndObject();
    }
    for (Map.Entry<String, PublicKey> e : bundle.jwtAuthorities().entrySet()) {
      g.writeStartObject();
      g.writeStringField("use", USE_JWT);
      g.writeStringField("kid", e.getKey());
      writeKeyMembers(g, bundle.jwtKeys().get(e.getKey()));
      g.writeEndObject();
    }
    g.writeEndArray();
    if (writeRefreshHint && bundle.refreshHint().isPresent()) {
      g.writeNumberField("spiffe_refresh_hint", bundle.refreshHint().get().getSeconds());
    }
    if (bundle.sequence().isPresent()) {
      g.writeFieldName("spiffe_sequence");
      g.writeNumber(bundle.sequence().get());
    }
    g.writeEndObject();
  }

  private static void writeKeyMembers(JsonGenerator g, JwkKey key) throws IOException {
    for (Map.Entry<String, String> m : key.members().entrySet()) {
      g.writeStringField(m.getKey(), m.getValue());
    }
  }
}
