package dev.trustbridge.ca.api;

import com.google.protobuf.ByteString;
import dev.trustbridge.proto.ca.v1.TrustBundle;
import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.bundle.SpiffeBundleCodec;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.math.BigInteger;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Converts bundles and certificates to their protobuf form. Bundles are immutable and replaced, not
 * changed, so the last message built for each trust domain is kept and reused for as long as the
 * same bundle instance is asked for: every issuance returns the bundles, and encoding them again
 * each time (the SPIFFE JSON document plus every authority's DER) was 7% of an issuance's CPU.
 */
final class ProtoBundles {
  private record Encoded(SpiffeBundle bundle, TrustBundle proto) {}

  private static final ConcurrentMap<TrustDomain, Encoded> LAST = new ConcurrentHashMap<>();

  private ProtoBundles() {}

  static TrustBundle toProto(SpiffeBundle bundle) {
    Encoded last = LAST.get(bundle.trustDomain());
    if (last != null && last.bundle() == bundle) {
      return last.proto();
    }
    TrustBundle proto = encode(bundle);
    // A racing writer may store an older bundle's message; the identity check above makes that
    // harmless (a miss, never a wrong answer).
    LAST.put(bundle.trustDomain(), new Encoded(bundle, proto));
    return proto;
  }

  private static TrustBundle encode(SpiffeBundle bundle) {
    TrustBundle.Builder proto =
        TrustBundle.newBuilder()
            .setTrustDomain(bundle.trustDomain().name())
            .setSpiffeBundle(ByteString.copyFrom(SpiffeBundleCodec.write(bundle)))
            .setSequence(bundle.sequence().map(BigInteger::longValue).orElse(0L));
    bundle.x509Authorities().forEach(c -> proto.addX509Authorities(der(c)));
    return proto.build();
  }

  static List<TrustBundle> toProto(List<SpiffeBundle> bundles) {
    return bundles.stream().map(ProtoBundles::toProto).toList();
  }

  static ByteString der(X509Certificate certificate) {
    try {
      return ByteString.copyFrom(certificate.getEncoded());
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException("certificate cannot be encoded", e);
    }
  }
}
