package dev.trustbridge.ca.config;

import dev.trustbridge.spiffe.id.InvalidSpiffeIdException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The path part of the SPIFFE ID a JWT maps to, e.g. {@code /ns/{namespace}/sa/{service_account}}.
 * Placeholders: {@code {namespace}} and {@code {service_account}} (from a Kubernetes token), {@code
 * {sub}} and {@code {claim:NAME}}. With every placeholder replaced by a valid segment, the result
 * is a valid SPIFFE ID path; that is checked when the template is parsed.
 *
 * @param text the template as written
 */
public record SpiffeIdTemplate(String text) {
  public static final String NAMESPACE = "namespace";
  public static final String SERVICE_ACCOUNT = "service_account";
  public static final String SUB = "sub";
  public static final String CLAIM_PREFIX = "claim:";

  private static final Pattern CLAIM_NAME = Pattern.compile("[A-Za-z0-9_./-]+");
  private static final TrustDomain SAMPLE_TRUST_DOMAIN = TrustDomain.parse("example.org");

  /** The default: Kubernetes service accounts, as Istio names them. */
  static final SpiffeIdTemplate KUBERNETES = parse("/ns/{namespace}/sa/{service_account}");

  public SpiffeIdTemplate {
    Objects.requireNonNull(text, "text");
    check(text);
  }

  /**
   * Parses a template.
   *
   * @throws IllegalArgumentException saying what is wrong
   */
  public static SpiffeIdTemplate parse(String text) {
    return new SpiffeIdTemplate(text);
  }

  /** The placeholders in order of appearance, without braces, e.g. {@code claim:email}. */
  public List<String> placeholders() {
    List<String> names = new ArrayList<>();
    expand(
        text,
        name -> {
          names.add(name);
          return "";
        });
    return List.copyOf(names);
  }

  /**
   * Builds the SPIFFE ID for a trust domain, replacing every placeholder by {@code
   * valueOf.apply(name)}. Each value must be exactly one valid path segment, so that a claim can
   * never add segments ({@code a/b}) or climb ({@code ..}) out of the template's shape.
   *
   * @throws IllegalArgumentException naming the placeholder whose value is not a valid segment
   */
  public SpiffeId expand(TrustDomain trustDomain, Function<String, String> valueOf) {
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(valueOf, "valueOf");
    String path =
        expand(
            text,
            name -> {
              String value = valueOf.apply(name);
              try {
                SpiffeId.fromSegments(trustDomain, Objects.requireNonNull(value, name));
              } catch (InvalidSpiffeIdException e) {
                throw new IllegalArgumentException(
                    "value of {" + name + "} is not a valid path segment: " + e.getMessage(), e);
              }
              return value;
            });
    return SpiffeId.of(trustDomain, path);
  }

  private static String expand(String text, Function<String, String> valueOf) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < text.length()) {
      int open = text.indexOf('{', i);
      if (open < 0) {
        out.append(text, i, text.length());
        break;
      }
      int close = text.indexOf('}', open);
      out.append(text, i, open).append(valueOf.apply(text.substring(open + 1, close)));
      i = close + 1;
    }
    return out.toString();
  }

  private static void check(String text) {
    if (!text.startsWith("/")) {
      throw new IllegalArgumentException("must be a path starting with /, e.g. " + example());
    }
    int depth = 0;
    for (char c : text.toCharArray()) {
      depth += c == '{' ? 1 : c == '}' ? -1 : 0;
      if (depth < 0 || depth > 1) {
        throw new IllegalArgumentException("has unbalanced braces");
      }
    }
    if (depth != 0) {
      throw new IllegalArgumentException("has unbalanced braces");
    }
    // The placeholders must be known, and the literal parts valid path characters: both checked by
    // building an ID with a sample value in every placeholder.
    String sample = expand(text, SpiffeIdTemplate::sampleValue);
    try {
      SpiffeId.of(SAMPLE_TRUST_DOMAIN, sample);
    } catch (InvalidSpiffeIdException e) {
      throw new IllegalArgumentException("is not a valid SPIFFE ID path: " + e.getMessage(), e);
    }
  }

  private static String sampleValue(String name) {
    boolean known =
        name.equals(NAMESPACE)
            || name.equals(SERVICE_ACCOUNT)
            || name.equals(SUB)
            || (name.startsWith(CLAIM_PREFIX)
                && CLAIM_NAME.matcher(name.substring(CLAIM_PREFIX.length())).matches());
    if (!known) {
      throw new IllegalArgumentException(
          "has unknown placeholder {"
              + name
              + "}; known: {namespace}, {service_account}, {sub}, {claim:NAME}");
    }
    return "x";
  }

  private static String example() {
    return "/ns/{namespace}/sa/{service_account}";
  }
}
