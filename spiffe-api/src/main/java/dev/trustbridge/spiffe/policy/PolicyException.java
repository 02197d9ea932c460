package dev.trustbridge.spiffe.policy;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.util.Objects;

/**
 * A policy, one of its rules or its JSON document was refused. The code is always {@link
 * ErrorCode#INVALID_ARGUMENT}. The message is {@code <location>: <detail>}, where the location
 * names the offending entry ({@code grants[0]}, {@code exposures[2]}, {@code allow_rules[1]
 * "web-to-pay"}, or a JSON path such as {@code allow_rules[1].peer}) and the detail is one of the
 * constants below, with any {@code %s} filled in by an already validated SPIFFE ID or trust domain
 * name. Without a location (a value built directly in Java) the message is the detail alone. A
 * message never repeats unvalidated input.
 */
public final class PolicyException extends TrustbridgeException {
  private static final long serialVersionUID = 1L;

  // Patterns (IdPattern.parse and the pattern records).
  public static final String PATTERN_NOT_SPIFFE_ID = "pattern is not a valid SPIFFE ID: %s";
  public static final String PATTERN_WILDCARD_PLACEMENT =
      "a wildcard is only allowed as a whole last path segment, as in spiffe://td/ns/pay/*";
  public static final String PATTERN_EXACT_TRUST_DOMAIN_ID =
      "an exact pattern cannot be a trust domain ID, which no workload carries; write"
          + " spiffe://<trust domain>/* for the whole trust domain";

  // Entries (record constructors).
  public static final String GRANT_NO_PEERS = "a grant must list at least one peer trust domain";
  public static final String RULE_NAME_INVALID =
      "rule name must be 1 to 128 characters of ASCII letters, digits, '.', '-' and '_'";
  public static final String RULE_NAME_DUPLICATE = "rule name is already used by an earlier rule";
  public static final String VERSION_NEGATIVE = "policy version must not be negative";

  // Validation against the hosted and known peer trust domains.
  public static final String HOSTED_AND_PEER =
      "trust domain %s cannot be both hosted and a federated peer";
  public static final String LOCAL_NOT_HOSTED =
      "local pattern %s is not in a trust domain hosted here";
  public static final String PEER_HOSTED =
      "peer trust domain %s is hosted here; a peer must be a foreign trust domain";
  public static final String PEER_UNKNOWN = "peer trust domain %s is not a known federated peer";

  // JSON documents (PolicyCodec).
  public static final String TOO_LARGE = "document exceeds the size limit";
  public static final String NOT_UTF8 = "document is not valid UTF-8";
  public static final String BYTE_ORDER_MARK = "document starts with a byte order mark";
  public static final String MALFORMED_JSON = "document is not well-formed JSON";
  public static final String JSON_LIMITS =
      "document exceeds the JSON nesting, string, name or number length limits";
  public static final String DUPLICATE_MEMBER = "duplicate member \"%s\"";
  public static final String UNKNOWN_MEMBER = "unknown member; the members are %s";
  public static final String MISSING_MEMBER = "missing member \"%s\"";
  public static final String NOT_OBJECT = "must be a JSON object";
  public static final String NOT_ARRAY = "must be a JSON array";
  public static final String NOT_STRING = "must be a JSON string";
  public static final String VERSION_NOT_INTEGER =
      "must be an integer from 0 to 9223372036854775807";
  public static final String TRUST_DOMAIN_INVALID = "is not a valid trust domain name: %s";
  public static final String TRUST_DOMAIN_REPEATED = "lists trust domain %s twice";

  private final String location;
  private final String detail;

  PolicyException(String detail) {
    this("", detail);
  }

  private PolicyException(String location, String detail) {
    super(ErrorCode.INVALID_ARGUMENT, location.isEmpty() ? detail : location + ": " + detail);
    this.location = location;
    this.detail = detail;
  }

  /** A refusal whose detail is a constant of this class formatted with validated values. */
  static PolicyException of(String template, Object... values) {
    return new PolicyException(String.format(template, values));
  }

  /** A refusal at a location. */
  static PolicyException at(String location, String template, Object... values) {
    return new PolicyException(location, String.format(template, values));
  }

  /**
   * This refusal placed at {@code location}; a refusal that already has a location keeps it, so the
   * innermost (most precise) location wins.
   */
  PolicyException locatedAt(String location) {
    Objects.requireNonNull(location, "location");
    return this.location.isEmpty() ? new PolicyException(location, detail) : this;
  }

  /** Where the refusal applies, e.g. {@code grants[0]}; empty when not known. */
  public String location() {
    return location;
  }

  /** What is wrong, without the location. */
  public String detail() {
    return detail;
  }
}
