package dev.trustbridge.ca.api;

import com.google.protobuf.Value;
import dev.trustbridge.ca.authn.Caller;
import dev.trustbridge.ca.distribution.BundleDistributor;
import dev.trustbridge.ca.issuance.X509SvidIssuer;
import dev.trustbridge.proto.istio.v1.auth.IstioCertificateRequest;
import dev.trustbridge.proto.istio.v1.auth.IstioCertificateResponse;
import dev.trustbridge.proto.istio.v1.auth.IstioCertificateServiceGrpc;
import dev.trustbridge.spiffe.bundle.PemBundles;
import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * {@code istio.v1.auth.IstioCertificateService}, wire-compatible with Istio's agents. The identity
 * comes from the caller's credential (never from the CSR); {@code ImpersonatedIdentity} is honoured
 * only for configured node accounts and only within their trust domain. The response is the leaf,
 * each intermediate, and last all trust anchors of the workload's trust domain.
 */
public final class IstioCertificateService implements BindableService {
  static final String IMPERSONATED_IDENTITY = "ImpersonatedIdentity";

  private final Impl impl;

  /**
   * @param responses where an issuance's answer is sent from once its audit record is stored
   */
  public IstioCertificateService(
      X509SvidIssuer issuer, BundleDistributor bundles, Executor responses) {
    this.impl = new Impl(issuer, bundles, responses);
  }

  @Override
  public ServerServiceDefinition bindService() {
    return impl.bindService();
  }

  private static final class Impl
      extends IstioCertificateServiceGrpc.IstioCertificateServiceImplBase {
    private final X509SvidIssuer issuer;
    private final BundleDistributor bundles;
    private final Executor responses;

    Impl(X509SvidIssuer issuer, BundleDistributor bundles, Executor responses) {
      this.responses = Objects.requireNonNull(responses, "responses");
      this.issuer = Objects.requireNonNull(issuer, "issuer");
      this.bundles = Objects.requireNonNull(bundles, "bundles");
    }

    @Override
    public void createCertificate(
        IstioCertificateRequest request, StreamObserver<IstioCertificateResponse> response) {
      CompletableFuture<X509SvidIssuer.Issued> pending;
      try {
        Caller caller = CertificateAuthorityService.caller();
        byte[] csr = request.getCsr().getBytes(StandardCharsets.UTF_8);
        Duration ttl = Duration.ofSeconds(Math.max(0, request.getValidityDuration()));
        Optional<String> impersonated = impersonatedIdentity(request);
        pending =
            impersonated.isPresent()
                ? issuer.issueImpersonatedAsync(
                    caller,
                    CertificateAuthorityService.optionalId(
                            "metadata.ImpersonatedIdentity", impersonated.get())
                        .orElseThrow(),
                    csr,
                    ttl)
                : issuer.issueAsync(caller, Optional.empty(), csr, ttl);
      } catch (RuntimeException e) {
        response.onError(GrpcErrors.toStatus(e));
        return;
      }
      // The answer goes out once the audit record is stored; this thread is free meanwhile.
      Replies.whenDone(pending, this::reply, response, responses);
    }

    private IstioCertificateResponse reply(X509SvidIssuer.Issued issued) {
      IstioCertificateResponse.Builder reply = IstioCertificateResponse.newBuilder();
      for (X509Certificate certificate : issued.chain()) {
        reply.addCertChain(pem(List.of(certificate)));
      }
      SpiffeBundle own = bundles.hostedBundle(issued.spiffeId().trustDomain());
      reply.addCertChain(pem(own.x509Authorities()));
      return reply.build();
    }

    private static Optional<String> impersonatedIdentity(IstioCertificateRequest request) {
      if (!request.hasMetadata()) {
        return Optional.empty();
      }
      Value value = request.getMetadata().getFieldsMap().get(IMPERSONATED_IDENTITY);
      if (value == null || value.getStringValue().isEmpty()) {
        return Optional.empty();
      }
      return Optional.of(value.getStringValue());
    }

    private static String pem(List<X509Certificate> certificates) {
      return new String(PemBundles.writeCertificates(certificates), StandardCharsets.US_ASCII);
    }
  }
}
