package dev.trustbridge.ca.api;

import com.google.protobuf.ByteString;
import dev.trustbridge.ca.distribution.BundleDistributor;
import dev.trustbridge.ca.federation.Federation;
import dev.trustbridge.proto.admin.v1.BundleAdminGrpc;
import dev.trustbridge.proto.admin.v1.GetBundleRequest;
import dev.trustbridge.proto.admin.v1.GetBundleResponse;
import dev.trustbridge.proto.admin.v1.ImportBundleRequest;
import dev.trustbridge.proto.admin.v1.ImportBundleResponse;
import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.bundle.SpiffeBundleCodec;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.InvalidSpiffeIdException;
import dev.trustbridge.spiffe.id.TrustDomain;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.StreamObserver;
import java.math.BigInteger;
import java.util.Objects;

/** {@code trustbridge.admin.v1.BundleAdmin}: the bundles of hosted trust domains. */
public final class BundleAdminService implements BindableService {
  private final Impl impl;

  public BundleAdminService(BundleDistributor bundles, Federation federation) {
    this.impl = new Impl(bundles, federation);
  }

  @Override
  public ServerServiceDefinition bindService() {
    return impl.bindService();
  }

  private static final class Impl extends BundleAdminGrpc.BundleAdminImplBase {
    private final BundleDistributor bundles;
    private final Federation federation;

    Impl(BundleDistributor bundles, Federation federation) {
      this.bundles = Objects.requireNonNull(bundles, "bundles");
      this.federation = Objects.requireNonNull(federation, "federation");
    }

    @Override
    public void importBundle(
        ImportBundleRequest request, StreamObserver<ImportBundleResponse> response) {
      try {
        TrustDomain td =
            FederationAdminService.trustDomain("trust_domain", request.getTrustDomain());
        SpiffeBundle bundle =
            FederationAdminService.bundle("bundle", td, request.getBundle().toByteArray());
        federation.importBundle(bundle);
        response.onNext(
            ImportBundleResponse.newBuilder()
                .setSequence(bundle.sequence().map(BigInteger::longValue).orElse(0L))
                .setX509Authorities(bundle.x509Authorities().size())
                .build());
        response.onCompleted();
      } catch (RuntimeException e) {
        response.onError(GrpcErrors.toStatus(e));
      }
    }

    @Override
    public void getBundle(GetBundleRequest request, StreamObserver<GetBundleResponse> response) {
      try {
        TrustDomain td;
        if (request.getTrustDomain().isEmpty()) {
          td = bundles.hostedTrustDomains().stream().sorted().findFirst().orElseThrow();
        } else {
          try {
            td = TrustDomain.parse(request.getTrustDomain());
          } catch (InvalidSpiffeIdException e) {
            throw TrustbridgeException.invalidArgument("trust_domain: " + e.getMessage());
          }
        }
        SpiffeBundle bundle = bundles.hostedBundle(td);
        GetBundleResponse.Builder reply =
            GetBundleResponse.newBuilder()
                .setTrustDomain(td.name())
                .setSpiffeBundle(ByteString.copyFrom(SpiffeBundleCodec.write(bundle)))
                .setSequence(bundle.sequence().map(BigInteger::longValue).orElse(0L));
        bundle.x509Authorities().forEach(c -> reply.addX509Authorities(ProtoBundles.der(c)));
        response.onNext(reply.build());
        response.onCompleted();
      } catch (RuntimeException e) {
        response.onError(GrpcErrors.toStatus(e));
      }
    }
  }
}
