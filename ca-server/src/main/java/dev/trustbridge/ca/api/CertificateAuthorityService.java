package dev.trustbridge.ca.api;

import dev.trustbridge.ca.authn.AuthenticationInterceptor;
import dev.trustbridge.ca.authn.Caller;
import dev.trustbridge.ca.distribution.BundleDistributor;
import dev.trustbridge.ca.issuance.X509SvidIssuer;
import dev.trustbridge.proto.ca.v1.BundlesResponse;
import dev.trustbridge.proto.ca.v1.CertificateAuthorityGrpc;
import dev.trustbridge.proto.ca.v1.FetchBundlesRequest;
import dev.trustbridge.proto.ca.v1.SignX509SvidRequest;
import dev.trustbridge.proto.ca.v1.SignX509SvidResponse;
import dev.trustbridge.proto.ca.v1.WatchBundlesRequest;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.InvalidSpiffeIdException;
import dev.trustbridge.spiffe.id.SpiffeId;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/** The workload-facing {@code trustbridge.ca.v1.CertificateAuthority} service. */
public final class CertificateAuthorityService implements BindableService {
  public static final String SIGN_METHOD =
      CertificateAuthorityGrpc.getSignX509SvidMethod().getFullMethodName();

  private final Impl impl;

  public CertificateAuthorityService(X509SvidIssuer issuer, BundleDistributor bundles) {
    this.impl = new Impl(issuer, bundles);
  }

  @Override
  public ServerServiceDefinition bindService() {
    return impl.bindService();
  }

  /** Parses an optional SPIFFE ID field: empty string means absent. */
  static Optional<SpiffeId> optionalId(String field, String value) {
    if (value.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(SpiffeId.parse(value));
    } catch (InvalidSpiffeIdException e) {
      throw TrustbridgeException.invalidArgument(field + ": " + e.getMessage());
    }
  }

  static Caller caller() {
    return AuthenticationInterceptor.CALLER.get();
  }

  private static final class Impl extends CertificateAuthorityGrpc.CertificateAuthorityImplBase {
    private final X509SvidIssuer issuer;
    private final BundleDistributor bundles;

    Impl(X509SvidIssuer issuer, BundleDistributor bundles) {
      this.issuer = Objects.requireNonNull(issuer, "issuer");
      this.bundles = Objects.requireNonNull(bundles, "bundles");
    }

    @Override
    public void signX509Svid(
        SignX509SvidRequest request, StreamObserver<SignX509SvidResponse> response) {
      try {
        Caller caller = caller();
        X509SvidIssuer.Issued issued =
            issuer.issue(
                caller,
                optionalId("spiffe_id", request.getSpiffeId()),
                request.getCsr().toByteArray(),
                Duration.ofSeconds(Math.max(0, request.getTtlSeconds())));
        SignX509SvidResponse.Builder reply =
            SignX509SvidResponse.newBuilder()
                .setSpiffeId(issued.spiffeId().toString())
                .setExpiresAt(issued.expiresAt().getEpochSecond())
                .setSerial(issued.serialHex())
                .addAllBundles(
                    ProtoBundles.toProto(
                        bundles.bundlesFor(issued.spiffeId(), issued.federatesWith())));
        issued.chain().forEach(c -> reply.addCertChain(ProtoBundles.der(c)));
        response.onNext(reply.build());
        response.onCompleted();
      } catch (RuntimeException e) {
        response.onError(GrpcErrors.toStatus(e));
      }
    }

    @Override
    public void fetchBundles(
        FetchBundlesRequest request, StreamObserver<BundlesResponse> response) {
      try {
        response.onNext(current());
        response.onCompleted();
      } catch (RuntimeException e) {
        response.onError(GrpcErrors.toStatus(e));
      }
    }

    @Override
    public void watchBundles(
        WatchBundlesRequest request, StreamObserver<BundlesResponse> response) {
      ServerCallStreamObserver<BundlesResponse> stream =
          (ServerCallStreamObserver<BundlesResponse>) response;
      Caller caller = caller();
      AtomicBoolean closed = new AtomicBoolean();
      Object lock = new Object();
      Runnable push =
          () -> {
            synchronized (lock) {
              if (closed.get() || stream.isCancelled()) {
                return;
              }
              try {
                stream.onNext(
                    BundlesResponse.newBuilder()
                        .addAllBundles(ProtoBundles.toProto(bundles.bundlesFor(caller.spiffeId())))
                        .build());
              } catch (RuntimeException e) {
                closed.set(true);
                stream.onError(GrpcErrors.toStatus(e));
              }
            }
          };
      BundleDistributor.Subscription subscription = bundles.watch(push);
      stream.setOnCancelHandler(
          () -> {
            closed.set(true);
            subscription.close();
          });
      push.run();
    }

    private BundlesResponse current() {
      return BundlesResponse.newBuilder()
          .addAllBundles(ProtoBundles.toProto(bundles.bundlesFor(caller().spiffeId())))
          .build();
    }
  }
}
