package dev.trustbridge.spiffe.policy;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import dev.trustbridge.spiffe.id.InvalidSpiffeIdException;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Reads and writes a {@link Policy} as JSON: the policy files admins keep, and the compiled
 * per-identity policies ({@link Policy#forIdentity}) distributed to agents. One format serves both:
 *
 * <pre>{@code
 * {"version": 7,
 *  "grants":      [{"local": "spiffe://a.example/ns/pay/*", "peers": ["b.example"]}],
 *  "exposures":   [{"peer": "b.example", "local": "spiffe://a.example/ns/pay/*"}],
 *  "allow_rules": [{"name": "web-to-pay", "peer": "spiffe://b.example/ns/web/*",
 *                   "local": "spiffe://a.example/ns/pay/sa/api"}]}
 * }</pre>
 *
 * <p><b>Reading</b> is strict, because a member an older agent skipped could only ever widen what
 * it allows: the document must be at most {@link #MAX_DOCUMENT_BYTES}, strict UTF-8 without a byte
 * order mark, one well-formed JSON object within the nesting/length limits. {@code version} (an
 * integer from 0 to 2^63-1) is required; {@code grants}, {@code exposures} and {@code allow_rules}
 * are optional arrays (absent means empty). Every member of every entry is required, unknown and
 * duplicate members are refused at every level, a grant's {@code peers} must not repeat a trust
 * domain, and patterns follow {@link IdPattern#parse}. The result is not yet {@linkplain
 * Policy#validate validated} against hosted and peer trust domains: an agent has no such list, the
 * server validates before it accepts.
 *
 * <p>Every refusal is a {@link PolicyException} whose location is a path into the document ({@code
 * grants[0].peers[1]}, {@code allow_rules[2].peer}, {@code policy} for the top level); nothing else
 * is thrown. <b>Writing</b> produces compact, deterministic UTF-8 JSON with all four members in the
 * order above, and {@code parse(write(p))} equals {@code p}.
 */
public final class PolicyCodec {
  /** The largest document read, in bytes (tens of thousands of rules). */
  public static final int MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;

  /** Longest string value: a SPIFFE ID is at most 2048 bytes, plus {@code /*}. */
  static final int MAX_STRING_CHARS = 4096;

  private static final JsonFactory READER =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(16)
                  .maxStringLength(MAX_STRING_CHARS)
                  .maxNameLength(256)
                  .maxNumberLength(64)
                  .build())
          // No shared symbol table between untrusted documents.
          .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
          .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
          .build();

  private static final JsonFactory WRITER =
      JsonFactory.builder().enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8).build();

  private static final BigInteger MAX_VERSION = BigInteger.valueOf(Long.MAX_VALUE);

  private static final List<String> TOP = List.of("version", "grants", "exposures", "allow_rules");
  private static final List<String> GRANT = List.of("local", "peers");
  private static final List<String> EXPOSURE = List.of("peer", "local");
  private static final List<String> RULE = List.of("name", "peer", "local");

  private PolicyCodec() {}

  /**
   * Parses a policy document.
   *
   * @throws PolicyException with a location and one of its message constants; nothing else
   */
  public static Policy parse(byte[] utf8Json) {
    Objects.requireNonNull(utf8Json, "utf8Json");
    if (utf8Json.length > MAX_DOCUMENT_BYTES) {
      throw PolicyException.of(PolicyException.TOO_LARGE);
    }
    String text = decodeStrictUtf8(utf8Json);
    if (text.startsWith("\uFEFF")) {
      throw PolicyException.of(PolicyException.BYTE_ORDER_MARK);
    }
    try (JsonParser parser = READER.createParser(text)) {
      Policy policy = new Reader(parser).policy();
      if (parser.nextToken() != null) {
        throw PolicyException.of(PolicyException.MALFORMED_JSON);
      }
      return policy;
    } catch (StreamConstraintsException e) {
      throw PolicyException.of(PolicyException.JSON_LIMITS);
    } catch (JsonProcessingException e) {
      throw PolicyException.of(PolicyException.MALFORMED_JSON);
    } catch (IOException e) {
      // Reading from a String cannot fail with I/O; anything else is malformed input.
      throw PolicyException.of(PolicyException.MALFORMED_JSON);
    }
  }

  /** Writes a policy as compact UTF-8 JSON. */
  public static byte[] write(Policy policy) {
    Objects.requireNonNull(policy, "policy");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = WRITER.createGenerator(out, JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeNumberField("version", policy.version());
      g.writeArrayFieldStart("grants");
      for (Grant grant : policy.grants()) {
        g.writeStartObject();
        g.writeStringField("local", grant.local().toString());
        g.writeArrayFieldStart("peers");
        for (TrustDomain td : grant.peers()) {
          g.writeString(td.name());
        }
        g.writeEndArray();
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeArrayFieldStart("exposures");
      for (Exposure exposure : policy.exposures()) {
        g.writeStartObject();
        g.writeStringField("peer", exposure.peer().name());
        g.writeStringField("local", exposure.local().toString());
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeArrayFieldStart("allow_rules");
      for (AllowRule rule : policy.allowRules()) {
        g.writeStartObject();
        g.writeStringField("name", rule.name());
        g.writeStringField("peer", rule.peer().toString());
        g.writeStringField("local", rule.local().toString());
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // cannot happen with a ByteArrayOutputStream
    }
    return out.toByteArray();
  }

  private static String decodeStrictUtf8(byte[] utf8) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(utf8))
          .toString();
    } catch (CharacterCodingException e) {
      throw PolicyException.of(PolicyException.NOT_UTF8);
    }
  }

  /** Reads one document; each method starts with the parser on the first token of its value. */
  private static final class Reader {
    private final JsonParser p;

    Reader(JsonParser parser) {
      this.p = parser;
    }

    /** Reads the members of an object, handing each value to {@code member}. */
    private void object(String at, List<String> allowed, Member member) throws IOException {
      if (p.currentToken() != JsonToken.START_OBJECT) {
        throw PolicyException.at(at, PolicyException.NOT_OBJECT);
      }
      Set<String> seen = new HashSet<>();
      JsonToken token;
      while ((token = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        if (!allowed.contains(name)) {
          throw PolicyException.at(at, PolicyException.UNKNOWN_MEMBER, String.join(", ", allowed));
        }
        if (!seen.add(name)) {
          throw PolicyException.at(at, PolicyException.DUPLICATE_MEMBER, name);
        }
        p.nextToken();
        member.read(name, at.equals("policy") ? name : at + "." + name);
      }
      if (token != JsonToken.END_OBJECT) {
        throw PolicyException.of(PolicyException.MALFORMED_JSON);
      }
    }

    /** Reads an array, handing each element to {@code element}. */
    private void array(String at, Element element) throws IOException {
      if (p.currentToken() != JsonToken.START_ARRAY) {
        throw PolicyException.at(at, PolicyException.NOT_ARRAY);
      }
      int i = 0;
      while (p.nextToken() != JsonToken.END_ARRAY) {
        if (p.currentToken() == null) {
          throw PolicyException.of(PolicyException.MALFORMED_JSON);
        }
        element.read(i, at + "[" + i + "]");
        i++;
      }
    }

    private String string(String at) throws IOException {
      if (p.currentToken() != JsonToken.VALUE_STRING) {
        throw PolicyException.at(at, PolicyException.NOT_STRING);
      }
      return p.getText();
    }

    private IdPattern pattern(String at) throws IOException {
      String text = string(at);
      try {
        return IdPattern.parse(text);
      } catch (PolicyException e) {
        throw e.locatedAt(at);
      }
    }

    private TrustDomain trustDomain(String at) throws IOException {
      String text = string(at);
      try {
        return TrustDomain.parse(text);
      } catch (InvalidSpiffeIdException e) {
        throw PolicyException.at(at, PolicyException.TRUST_DOMAIN_INVALID, e.getMessage());
      }
    }

    private static <T> T required(T value, String at, String member) {
      if (value == null) {
        throw PolicyException.at(at, PolicyException.MISSING_MEMBER, member);
      }
      return value;
    }

    Policy policy() throws IOException {
      p.nextToken();
      if (p.currentToken() == null) {
        throw PolicyException.of(PolicyException.MALFORMED_JSON);
      }
      Long[] version = {null};
      List<Grant> grants = new ArrayList<>();
      List<Exposure> exposures = new ArrayList<>();
      List<AllowRule> rules = new ArrayList<>();
      object(
          "policy",
          TOP,
          (name, at) -> {
            switch (name) {
              case "version" -> version[0] = version(at);
              case "grants" -> array(at, (i, a) -> grants.add(grant(a)));
              case "exposures" -> array(at, (i, a) -> exposures.add(exposure(a)));
              default -> array(at, (i, a) -> rules.add(rule(a)));
            }
          });
      return new Policy(required(version[0], "policy", "version"), grants, exposures, rules);
    }

    private long version(String at) throws IOException {
      if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
        throw PolicyException.at(at, PolicyException.VERSION_NOT_INTEGER);
      }
      BigInteger value = p.getBigIntegerValue();
      if (value.signum() < 0 || value.compareTo(MAX_VERSION) > 0) {
        throw PolicyException.at(at, PolicyException.VERSION_NOT_INTEGER);
      }
      return value.longValueExact();
    }

    private Grant grant(String at) throws IOException {
      IdPattern[] local = {null};
      Set<TrustDomain> peers = new LinkedHashSet<>();
      boolean[] peersSeen = {false};
      object(
          at,
          GRANT,
          (name, a) -> {
            if (name.equals("local")) {
              local[0] = pattern(a);
            } else {
              peersSeen[0] = true;
              array(
                  a,
                  (i, e) -> {
                    TrustDomain td = trustDomain(e);
                    if (!peers.add(td)) {
                      throw PolicyException.at(a, PolicyException.TRUST_DOMAIN_REPEATED, td);
                    }
                  });
            }
          });
      required(local[0], at, "local");
      required(peersSeen[0] ? peers : null, at, "peers");
      try {
        return new Grant(local[0], peers);
      } catch (PolicyException e) {
        throw e.locatedAt(at);
      }
    }

    private Exposure exposure(String at) throws IOException {
      TrustDomain[] peer = {null};
      IdPattern[] local = {null};
      object(
          at,
          EXPOSURE,
          (name, a) -> {
            if (name.equals("peer")) {
              peer[0] = trustDomain(a);
            } else {
              local[0] = pattern(a);
            }
          });
      return new Exposure(required(peer[0], at, "peer"), required(local[0], at, "local"));
    }

    private AllowRule rule(String at) throws IOException {
      String[] ruleName = {null};
      IdPattern[] peer = {null};
      IdPattern[] local = {null};
      object(
          at,
          RULE,
          (name, a) -> {
            switch (name) {
              case "name" -> {
                ruleName[0] = string(a);
                if (!AllowRule.isValidName(ruleName[0])) {
                  throw PolicyException.at(a, PolicyException.RULE_NAME_INVALID);
                }
              }
              case "peer" -> peer[0] = pattern(a);
              default -> local[0] = pattern(a);
            }
          });
      return new AllowRule(
          required(ruleName[0], at, "name"),
          required(peer[0], at, "peer"),
          required(local[0], at, "local"));
    }
  }

  @FunctionalInterface
  private interface Member {
    void read(String name, String at) throws IOException;
  }

  @FunctionalInterface
  private interface Element {
    void read(int index, String at) throws IOException;
  }
}
