package dev.trustbridge.spiffe.bundle;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.trustbridge.spiffe.id.InvalidSpiffeIdException;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Reads and writes the SPIFFE bundle map, {@code {"trust_domains": {<name>: <bundle>, ...}}}
 * (SPIFFE_Trust_Domain_and_Bundle.md section 5), as a {@link BundleSet}.
 *
 * <p>Reading is all or nothing (Appendix B.1: the map is the state of the world): the document is
 * rejected, with an {@link InvalidBundleException}, when it fails any document-level rule of {@link
 * SpiffeBundleCodec} (size limit {@link #MAX_DOCUMENT_BYTES}), is not an object, lacks {@code
 * trust_domains} or has one that is not an object, names a trust domain twice (also when two
 * spellings unescape to the same name), has a key that is not a valid bare trust domain name (not
 * {@code spiffe://td}, ambiguity A12), or when any one bundle is rejected; that bundle's message is
 * then prefixed by {@link InvalidBundleException#inTrustDomain}. {@code trust_domains} may be
 * empty. Unknown top-level members are ignored.
 *
 * <p>Per-bundle {@code spiffe_refresh_hint}s are not read: a consumer must not change its refresh
 * behaviour because of them, so they are dropped before anything downstream could. The writer omits
 * them for the same reason and writes trust domains in sorted order, each bundle as {@link
 * SpiffeBundleCodec#write} would without its hint.
 */
public final class SpiffeBundleMapCodec {
  /** The largest bundle map document read, in bytes. */
  public static final int MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;

  private SpiffeBundleMapCodec() {}

  /**
   * Parses a bundle map.
   *
   * @throws InvalidBundleException with one of its message constants, possibly prefixed by {@link
   *     InvalidBundleException#inTrustDomain}; nothing else is thrown
   */
  public static BundleSet parse(byte[] utf8Json) {
    Objects.requireNonNull(utf8Json, "utf8Json");
    JsonTree.Value root = JsonTree.parse(utf8Json, MAX_DOCUMENT_BYTES);
    if (!(root instanceof JsonTree.Obj doc)) {
      throw new InvalidBundleException(InvalidBundleException.MAP_NOT_OBJECT);
    }
    JsonTree.Value trustDomains = doc.get("trust_domains");
    if (trustDomains == null) {
      throw new InvalidBundleException(InvalidBundleException.TRUST_DOMAINS_MISSING);
    }
    if (!(trustDomains instanceof JsonTree.Obj members)) {
      throw new InvalidBundleException(InvalidBundleException.TRUST_DOMAINS_NOT_OBJECT);
    }
    List<SpiffeBundle> bundles = new ArrayList<>();
    for (Map.Entry<String, JsonTree.Value> member : members.members().entrySet()) {
      TrustDomain td = trustDomain(member.getKey());
      try {
        bundles.add(SpiffeBundleCodec.fromTree(td, member.getValue(), false));
      } catch (InvalidBundleException e) {
        throw new InvalidBundleException(
            InvalidBundleException.inTrustDomain(td.name(), e.getMessage()));
      }
    }
    // Names are unique already (duplicate members are rejected while parsing); BundleSet checks
    // again so that the invariant does not depend on it.
    return BundleSet.of(bundles);
  }

  /** Writes a bundle map as UTF-8 JSON, without refresh hints. */
  public static byte[] write(BundleSet bundles) {
    Objects.requireNonNull(bundles, "bundles");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = SpiffeBundleCodec.WRITER.createGenerator(out, JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeObjectFieldStart("trust_domains");
      for (Map.Entry<TrustDomain, SpiffeBundle> e : bundles.map().entrySet()) {
        g.writeFieldName(e.getKey().name());
        SpiffeBundleCodec.writeTo(g, e.getValue(), false);
      }
      g.writeEndObject();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory failed", e);
    }
    return out.toByteArray();
  }

  private static TrustDomain trustDomain(String name) {
    try {
      return TrustDomain.parse(name);
    } catch (InvalidSpiffeIdException e) {
      throw new InvalidBundleException(InvalidBundleException.TRUST_DOMAIN_NAME_INVALID);
    }
  }
}
