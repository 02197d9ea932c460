package dev.trustbridge.spiffe.policy;

import static dev.trustbridge.spiffe.policy.TestPolicies.B;
import static dev.trustbridge.spiffe.policy.TestPolicies.C;
import static dev.trustbridge.spiffe.policy.TestPolicies.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@link PolicyCodec}: the exact written form, round trips, and every refusal's message. */
class PolicyCodecTest {
  static final Policy SAMPLE =
      Policy.builder()
          .version(7)
          .grant("spiffe://a.example/ns/pay/*", C, B)
          .expose(B, "spiffe://a.example/ns/pay/*")
          .allow("web-to-pay", "spiffe://b.example/ns/web/*", "spiffe://a.example/ns/pay/sa/api")
          .build();

  static final String SAMPLE_JSON =
      "{\"version\":7,"
          + "\"grants\":[{\"local\":\"spiffe://a.example/ns/pay/*\","
          + "\"peers\":[\"b.example\",\"c.example\"]}],"
          + "\"exposures\":[{\"peer\":\"b.example\",\"local\":\"spiffe://a.example/ns/pay/*\"}],"
          + "\"allow_rules\":[{\"name\":\"web-to-pay\",\"peer\":\"spiffe://b.example/ns/web/*\","
          + "\"local\":\"spiffe://a.example/ns/pay/sa/api\"}]}";

  private static Policy parse(String json) {
    return PolicyCodec.parse(json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void write_isCompactDeterministicJson() {
    assertEquals(SAMPLE_JSON, new String(PolicyCodec.write(SAMPLE), StandardCharsets.UTF_8));
  }

  @Test
  void parse_ofWritten_isEqual() {
    assertEquals(SAMPLE, PolicyCodec.parse(PolicyCodec.write(SAMPLE)));
    assertEquals(SAMPLE, parse(SAMPLE_JSON));
  }

  @Test
  void roundTrip_emptyPolicy() {
    Policy empty = Policy.empty(0);
    assertEquals(
        "{\"version\":0,\"grants\":[],\"exposures\":[],\"allow_rules\":[]}",
        new String(PolicyCodec.write(empty), StandardCharsets.UTF_8));
    assertEquals(empty, PolicyCodec.parse(PolicyCodec.write(empty)));
  }

  @Test
  void parse_onlyVersion_isAnEmptyPolicy() {
    assertEquals(Policy.empty(Long.MAX_VALUE), parse("{\"version\":9223372036854775807}"));
  }

  @Test
  void parse_whitespaceAndMemberOrder_doNotMatter() {
    assertEquals(
        Policy.builder()
            .version(1)
            .allow("r", "spiffe://b.example/*", "spiffe://a.example/ns/x")
            .build(),
        parse(
            "{ \"allow_rules\" : [ { \"local\": \"spiffe://a.example/ns/x\", \"name\": \"r\",\n"
                + " \"peer\": \"spiffe://b.example/*\" } ], \"version\": 1 }"));
  }

  // ---- document-level refusals ----

  @Test
  void parse_tooLarge_isRefused() {
    byte[] big = new byte[PolicyCodec.MAX_DOCUMENT_BYTES + 1];
    assertRefused("document exceeds the size limit", () -> PolicyCodec.parse(big));
  }

  @Test
  void parse_invalidUtf8_isRefused() {
    assertRefused(
        "document is not valid UTF-8",
        () -> PolicyCodec.parse(new byte[] {'{', (byte) 0xC0, (byte) 0x80, '}'}));
  }

  @Test
  void parse_byteOrderMark_isRefused() {
    assertRefused("document starts with a byte order mark", () -> parse("\uFEFF{\"version\":1}"));
  }

  @Test
  void parse_malformedJson_isRefused() {
    for (String bad :
        new String[] {
          "", "{", "{\"version\":1,}", "{\"version\":1} {}", "{'version':1}", "{\"version\":01}"
        }) {
      assertRefused("document is not well-formed JSON", () -> parse(bad));
    }
  }

  @Test
  void parse_tooLongString_isRefused() {
    assertRefused(
        "document exceeds the JSON nesting, string, name or number length limits",
        () -> parse("{\"version\":1,\"grants\":[{\"local\":\"" + "x".repeat(5000) + "\"}]}"));
  }

  @Test
  void parse_notAnObject_isRefused() {
    assertRefused("policy: must be a JSON object", () -> parse("[]"));
  }

  @Test
  void parse_missingVersion_isRefused() {
    assertRefused("policy: missing member \"version\"", () -> parse("{\"grants\":[]}"));
  }

  @Test
  void parse_unknownTopLevelMember_isRefusedWithoutEchoingIt() {
    assertRefused(
        "policy: unknown member; the members are version, grants, exposures, allow_rules",
        () -> parse("{\"version\":1,\"deny_rules\":[]}"));
  }

  @Test
  void parse_duplicateMember_isRefused() {
    assertRefused(
        "policy: duplicate member \"version\"", () -> parse("{\"version\":1,\"version\":1}"));
    assertRefused(
        "exposures[0]: duplicate member \"peer\"",
        () ->
            parse(
                "{\"version\":1,\"exposures\":[{\"peer\":\"b.example\",\"peer\":\"c.example\","
                    + "\"local\":\"spiffe://a.example/*\"}]}"));
  }

  @Test
  void parse_badVersion_isRefused() {
    String message = "version: must be an integer from 0 to 9223372036854775807";
    for (String v : new String[] {"-1", "1.0", "1e3", "\"1\"", "null", "9223372036854775808"}) {
      assertRefused(message, () -> parse("{\"version\":" + v + "}"));
    }
  }

  @Test
  void parse_listNotArray_isRefused() {
    assertRefused("grants: must be a JSON array", () -> parse("{\"version\":1,\"grants\":{}}"));
  }

  // ---- entry-level refusals ----

  @Test
  void parse_grantNotObject_isRefused() {
    assertRefused(
        "grants[0]: must be a JSON object", () -> parse("{\"version\":1,\"grants\":[\"x\"]}"));
  }

  @Test
  void parse_grantMissingPeers_isRefused() {
    assertRefused(
        "grants[0]: missing member \"peers\"",
        () -> parse("{\"version\":1,\"grants\":[{\"local\":\"spiffe://a.example/*\"}]}"));
  }

  @Test
  void parse_grantEmptyPeers_isRefused() {
    assertRefused(
        "grants[0]: a grant must list at least one peer trust domain",
        () ->
            parse(
                "{\"version\":1,\"grants\":[{\"local\":\"spiffe://a.example/*\",\"peers\":[]}]}"));
  }

  @Test
  void parse_grantRepeatedPeer_isRefused() {
    assertRefused(
        "grants[0].peers: lists trust domain b.example twice",
        () ->
            parse(
                "{\"version\":1,\"grants\":[{\"local\":\"spiffe://a.example/*\","
                    + "\"peers\":[\"b.example\",\"b.example\"]}]}"));
  }

  @Test
  void parse_grantInvalidPeer_isRefusedAtItsIndex() {
    assertRefused(
        "grants[0].peers[1]: is not a valid trust domain name: trust domain cannot contain a port",
        () ->
            parse(
                "{\"version\":1,\"grants\":[{\"local\":\"spiffe://a.example/*\","
                    + "\"peers\":[\"b.example\",\"c.example:443\"]}]}"));
    assertRefused(
        "grants[0].peers[0]: must be a JSON string",
        () ->
            parse(
                "{\"version\":1,\"grants\":[{\"local\":\"spiffe://a.example/*\",\"peers\":[1]}]}"));
  }

  @Test
  void parse_badPattern_isRefusedAtItsMember() {
    assertRefused(
        "exposures[0].local: a wildcard is only allowed as a whole last path segment, as in"
            + " spiffe://td/ns/pay/*",
        () ->
            parse(
                "{\"version\":1,\"exposures\":[{\"peer\":\"b.example\","
                    + "\"local\":\"spiffe://a.example/ns/pay*\"}]}"));
    assertRefused(
        "allow_rules[0].peer: pattern is not a valid SPIFFE ID: scheme is missing or invalid",
        () ->
            parse(
                "{\"version\":1,\"allow_rules\":[{\"name\":\"r\",\"peer\":\"b.example/ns/web\","
                    + "\"local\":\"spiffe://a.example/*\"}]}"));
  }

  @Test
  void parse_badRuleName_isRefused() {
    assertRefused(
        "allow_rules[0].name: rule name must be 1 to 128 characters of ASCII letters, digits,"
            + " '.', '-' and '_'",
        () ->
            parse(
                "{\"version\":1,\"allow_rules\":[{\"name\":\"a rule\","
                    + "\"peer\":\"spiffe://b.example/*\",\"local\":\"spiffe://a.example/*\"}]}"));
  }

  @Test
  void parse_duplicateRuleName_isRefused() {
    String rule =
        "{\"name\":\"r\",\"peer\":\"spiffe://b.example/*\",\"local\":\"spiffe://a.example/*\"}";
    assertRefused(
        "allow_rules[1] \"r\": rule name is already used by an earlier rule",
        () -> parse("{\"version\":1,\"allow_rules\":[" + rule + "," + rule + "]}"));
  }

  @Test
  void parse_unknownEntryMember_isRefused() {
    assertRefused(
        "allow_rules[0]: unknown member; the members are name, peer, local",
        () ->
            parse(
                "{\"version\":1,\"allow_rules\":[{\"name\":\"r\",\"action\":\"deny\","
                    + "\"peer\":\"spiffe://b.example/*\",\"local\":\"spiffe://a.example/*\"}]}"));
  }

  @Test
  void parse_exposureMissingLocal_isRefused() {
    assertRefused(
        "exposures[0]: missing member \"local\"",
        () -> parse("{\"version\":1,\"exposures\":[{\"peer\":\"b.example\"}]}"));
  }
}
