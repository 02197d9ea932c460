package dev.trustbridge.ca.api;

import com.google.protobuf.ByteString;
import dev.trustbridge.proto.ca.v1.TrustBundle;
import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.bundle.SpiffeBundleCodec;
import java.math.BigInteger;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.List;

/** Converts bundles and certificates to their protobuf form. */
final class ProtoBundles {
  private ProtoBundles() {}

  static TrustBundle toProto(SpiffeBundle bundle) {
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
