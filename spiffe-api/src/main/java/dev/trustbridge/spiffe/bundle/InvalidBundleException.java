package dev.trustbridge.spiffe.bundle;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;

/**
 * A SPIFFE bundle, bundle map, bundle set or PEM file was rejected as a whole. The code is always
 * {@link ErrorCode#INVALID_ARGUMENT}; the message is one of the constants below (for a bundle
 * inside a bundle map, prefixed by {@link #inTrustDomain}), so callers and tests can match it
 * exactly. A message never repeats document content other than an already validated trust domain
 * name.
 *
 * <p>Entries that are merely unusable (unknown {@code use} or {@code kty}, bad {@code x5c}, a
 * kid-less JWT key, ...) are ignored, not rejected; see {@link SpiffeBundleCodec}.
 */
public final class InvalidBundleException extends TrustbridgeException {
  private static final long serialVersionUID = 1L;

  // Document level (bundles and bundle maps).
  public static final String TOO_LARGE = "document exceeds the size limit";
  public static final String NOT_UTF8 = "document is not valid UTF-8";
  public static final String BYTE_ORDER_MARK = "document starts with a byte order mark";
  public static final String MALFORMED_JSON = "document is not well-formed JSON";
  public static final String JSON_LIMITS =
      "document exceeds the JSON nesting, string, name or number length limits";
  public static final String DUPLICATE_MEMBER = "document has a duplicate member name";

  // Bundle (SPIFFE_Trust_Domain_and_Bundle.md section 4).
  public static final String BUNDLE_NOT_OBJECT = "bundle is not a JSON object";
  public static final String KEYS_MISSING = "bundle has no \"keys\" member";
  public static final String KEYS_NOT_ARRAY = "bundle \"keys\" member is not an array";
  public static final String SEQUENCE_NOT_INTEGER = "\"spiffe_sequence\" is not an integer";
  public static final String SEQUENCE_NEGATIVE = "\"spiffe_sequence\" is negative";
  public static final String SEQUENCE_TOO_LARGE = "\"spiffe_sequence\" exceeds 2^64-1";
  public static final String DUPLICATE_KID = "bundle has two jwt-svid keys with the same \"kid\"";

  // Bundle map (section 5) and bundle set.
  public static final String MAP_NOT_OBJECT = "bundle map is not a JSON object";
  public static final String TRUST_DOMAINS_MISSING = "bundle map has no \"trust_domains\" member";
  public static final String TRUST_DOMAINS_NOT_OBJECT =
      "bundle map \"trust_domains\" member is not an object";
  public static final String TRUST_DOMAIN_NAME_INVALID =
      "bundle map has a key that is not a valid trust domain name";
  public static final String DUPLICATE_TRUST_DOMAIN = "two bundles for the same trust domain";

  // Building a bundle value.
  public static final String AUTHORITY_NOT_CA =
      "X.509 authority is not a CA certificate (cA=true, keyCertSign if key usage is present)";
  public static final String AUTHORITY_KEY_UNSUPPORTED =
      "X.509 authority key is not EC P-256/P-384/P-521, RSA of at least 2048 bits or Ed25519";
  public static final String AUTHORITY_NOT_ENCODABLE = "X.509 authority cannot be DER-encoded";
  public static final String JWT_KEY_UNSUPPORTED =
      "JWT authority key is not EC P-256/P-384/P-521 or RSA of at least 2048 bits";
  public static final String KID_INVALID = "kid must be a non-empty string of valid Unicode";
  public static final String REFRESH_HINT_INVALID =
      "refresh hint must be a positive whole number of seconds";

  // PEM.
  public static final String PEM_NOT_ASCII = "PEM contains non-ASCII bytes";
  public static final String PEM_EMPTY = "PEM contains no CERTIFICATE block";
  public static final String PEM_GARBAGE = "PEM contains text outside CERTIFICATE blocks";
  public static final String PEM_PRIVATE_KEY =
      "PEM contains a private key; only CERTIFICATE blocks are accepted";
  public static final String PEM_NOT_CERTIFICATE = "PEM contains a block that is not a CERTIFICATE";
  public static final String PEM_MALFORMED_BLOCK = "PEM CERTIFICATE block is malformed";
  public static final String PEM_BAD_CERTIFICATE =
      "PEM CERTIFICATE block does not hold one DER X.509 certificate";

  InvalidBundleException(String message) {
    super(ErrorCode.INVALID_ARGUMENT, message);
  }

  /**
   * The message of a bundle rejected inside a bundle map: {@code trust domain <name>: <message>}.
   */
  public static String inTrustDomain(String trustDomainName, String message) {
    return "trust domain " + trustDomainName + ": " + message;
  }
}
