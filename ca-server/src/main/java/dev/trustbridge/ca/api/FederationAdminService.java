package dev.trustbridge.ca.api;

import com.google.protobuf.ByteString;
import dev.trustbridge.ca.audit.AuditEvent;
import dev.trustbridge.ca.audit.AuditLog;
import dev.trustbridge.ca.federation.Federation;
import dev.trustbridge.federation.client.FederationRelationship;
import dev.trustbridge.federation.client.RelationshipState;
import dev.trustbridge.proto.admin.v1.DeleteRelationshipResponse;
import dev.trustbridge.proto.admin.v1.FederationAdminGrpc;
import dev.trustbridge.proto.admin.v1.GetRelationshipRequest;
import dev.trustbridge.proto.admin.v1.ListRelationshipsRequest;
import dev.trustbridge.proto.admin.v1.ListRelationshipsResponse;
import dev.trustbridge.proto.admin.v1.Relationship;
import dev.trustbridge.spiffe.bundle.PemBundles;
import dev.trustbridge.spiffe.bundle.SpiffeBundleCodec;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.InvalidSpiffeIdException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/** {@code trustbridge.admin.v1.FederationAdmin}: relationships with peer trust domains. */
public final class FederationAdminService implements BindableService {
  private final Impl impl;

  public FederationAdminService(Federation federation, AuditLog audit, Clock clock) {
    this.impl = new Impl(federation, audit, clock);
  }

  @Override
  public ServerServiceDefinition bindService() {
    return impl.bindService();
  }

  static TrustDomain trustDomain(String field, String value) {
    try {
      return TrustDomain.parse(value);
    } catch (InvalidSpiffeIdException e) {
      throw TrustbridgeException.invalidArgument(field + ": " + e.getMessage());
    }
  }

  /** A SPIFFE bundle document or PEM certificates, for {@code td}. */
  static dev.trustbridge.spiffe.bundle.SpiffeBundle bundle(
      String field, TrustDomain td, byte[] content) {
    try {
      String text = new String(content, java.nio.charset.StandardCharsets.UTF_8).strip();
      return text.startsWith("-----BEGIN")
          ? PemBundles.readBundle(td, content)
          : SpiffeBundleCodec.parse(td, content);
    } catch (TrustbridgeException e) {
      throw TrustbridgeException.invalidArgument(field + ": " + e.getMessage());
    }
  }

  static FederationRelationship fromProto(Relationship r) {
    TrustDomain td = trustDomain("trust_domain", r.getTrustDomain());
    URI url;
    try {
      url = new URI(r.getBundleEndpointUrl());
    } catch (URISyntaxException e) {
      throw TrustbridgeException.invalidArgument("bundle_endpoint_url: not a URL");
    }
    FederationRelationship.Profile profile =
        switch (r.getProfile()) {
          case "https_spiffe" -> {
            SpiffeId endpoint =
                CertificateAuthorityService.optionalId(
                        "endpoint_spiffe_id", r.getEndpointSpiffeId())
                    .orElseThrow(
                        () ->
                            TrustbridgeException.invalidArgument(
                                "endpoint_spiffe_id: required for https_spiffe"));
            if (r.getBootstrapBundle().isEmpty()) {
              throw TrustbridgeException.invalidArgument(
                  "bootstrap_bundle: required for https_spiffe");
            }
            yield new FederationRelationship.HttpsSpiffe(
                endpoint,
                bundle(
                    "bootstrap_bundle",
                    endpoint.trustDomain(),
                    r.getBootstrapBundle().toByteArray()));
          }
          case "https_web" ->
              r.getWebTrustAnchors().isEmpty()
                  ? FederationRelationship.HttpsWeb.systemRoots()
                  : new FederationRelationship.HttpsWeb(
                      bundle("web_trust_anchors", td, r.getWebTrustAnchors().toByteArray())
                          .x509Authorities());
          default ->
              throw TrustbridgeException.invalidArgument(
                  "profile: must be https_spiffe or https_web");
        };
    try {
      return new FederationRelationship(td, url, profile);
    } catch (IllegalArgumentException e) {
      throw TrustbridgeException.invalidArgument(e.getMessage());
    }
  }

  static Relationship toProto(FederationRelationship r, Optional<RelationshipState> state) {
    Relationship.Builder proto =
        Relationship.newBuilder()
            .setTrustDomain(r.trustDomain().name())
            .setBundleEndpointUrl(r.url().toString());
    if (r.profile() instanceof FederationRelationship.HttpsSpiffe spiffe) {
      proto
          .setProfile("https_spiffe")
          .setEndpointSpiffeId(spiffe.endpointId().toString())
          .setBootstrapBundle(
              ByteString.copyFrom(SpiffeBundleCodec.write(spiffe.bootstrapBundle())));
    } else {
      FederationRelationship.HttpsWeb web = (FederationRelationship.HttpsWeb) r.profile();
      proto.setProfile("https_web");
      if (!web.trustAnchors().isEmpty()) {
        proto.setWebTrustAnchors(
            ByteString.copyFrom(PemBundles.writeCertificates(web.trustAnchors())));
      }
    }
    state.ifPresent(s -> proto.setState(toProto(s)));
    return proto.build();
  }

  private static dev.trustbridge.proto.admin.v1.RelationshipState toProto(RelationshipState s) {
    return dev.trustbridge.proto.admin.v1.RelationshipState.newBuilder()
        .setLastAttempt(seconds(s.lastAttempt()))
        .setLastSuccess(seconds(s.lastSuccess()))
        .setLastError(s.lastError().orElse(""))
        .setLastErrorAt(seconds(s.lastErrorAt()))
        .setSequence(s.sequence().map(java.math.BigInteger::longValue).orElse(0L))
        .setNextPoll(seconds(s.nextPoll()))
        .setEarliestAuthorityExpiry(seconds(s.earliestExpiry()))
        .setLatestAuthorityExpiry(seconds(s.latestExpiry()))
        .setConsecutiveFailures(s.consecutiveFailures())
        .build();
  }

  private static long seconds(Optional<Instant> instant) {
    return instant.map(Instant::getEpochSecond).orElse(0L);
  }

  private static final class Impl extends FederationAdminGrpc.FederationAdminImplBase {
    private final Federation federation;
    private final AuditLog audit;
    private final Clock clock;

    Impl(Federation federation, AuditLog audit, Clock clock) {
      this.federation = Objects.requireNonNull(federation, "federation");
      this.audit = Objects.requireNonNull(audit, "audit");
      this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public void createRelationship(Relationship request, StreamObserver<Relationship> response) {
      try {
        FederationRelationship relationship = fromProto(request);
        federation.create(relationship);
        audited("federation.create", relationship);
        respond(response, relationship.trustDomain());
      } catch (RuntimeException e) {
        response.onError(GrpcErrors.toStatus(e));
      }
    }

    @Override
    public void updateRelationship(Relationship request, StreamObserver<Relationship> response) {
      try {
        FederationRelationship relationship = fromProto(request);
        federation.update(relationship);
        audited("federation.update", relationship);
        respond(response, relationship.trustDomain());
      } catch (RuntimeException e) {
        response.onError(GrpcErrors.toStatus(e));
      }
    }

    @Override
    public void listRelationships(
        ListRelationshipsRequest request, StreamObserver<ListRelationshipsResponse> response) {
      try {
        ListRelationshipsResponse.Builder reply = ListRelationshipsResponse.newBuilder();
        for (FederationRelationship r : federation.relationships()) {
          reply.addRelationships(withBundleFlag(toProto(r, federation.state(r.trustDomain()))));
        }
        response.onNext(reply.build());
        response.onCompleted();
      } catch (RuntimeException e) {
        response.onError(GrpcErrors.toStatus(e));
      }
    }

    @Override
    public void getRelationship(
        GetRelationshipRequest request, StreamObserver<Relationship> response) {
      try {
        respond(response, trustDomain("trust_domain", request.getTrustDomain()));
      } catch (RuntimeException e) {
        response.onError(GrpcErrors.toStatus(e));
      }
    }

    @Override
    public void deleteRelationship(
        GetRelationshipRequest request, StreamObserver<DeleteRelationshipResponse> response) {
      try {
        TrustDomain td = trustDomain("trust_domain", request.getTrustDomain());
        if (!federation.delete(td)) {
          throw notFound(td);
        }
        audit.append(
            AuditEvent.of(
                clock.instant(),
                CertificateAuthorityService.caller().auditName(),
                "federation.delete",
                td.name(),
                AuditEvent.OK,
                ""));
        response.onNext(DeleteRelationshipResponse.getDefaultInstance());
        response.onCompleted();
      } catch (RuntimeException e) {
        response.onError(GrpcErrors.toStatus(e));
      }
    }

    @Override
    public void refreshRelationship(
        GetRelationshipRequest request, StreamObserver<Relationship> response) {
      try {
        TrustDomain td = trustDomain("trust_domain", request.getTrustDomain());
        federation.refresh(td);
        respond(response, td);
      } catch (RuntimeException e) {
        response.onError(GrpcErrors.toStatus(e));
      }
    }

    private void respond(StreamObserver<Relationship> response, TrustDomain td) {
      FederationRelationship relationship =
          federation.relationship(td).orElseThrow(() -> notFound(td));
      Relationship reply = toProto(relationship, federation.state(td));
      if (federation.bundle(td).isPresent()) {
        reply = reply.toBuilder().setState(reply.getState().toBuilder().setHasBundle(true)).build();
      }
      response.onNext(reply);
      response.onCompleted();
    }

    private Relationship withBundleFlag(Relationship relationship) {
      boolean hasBundle =
          federation.bundle(trustDomain("trust_domain", relationship.getTrustDomain())).isPresent();
      return relationship.toBuilder()
          .setState(relationship.getState().toBuilder().setHasBundle(hasBundle))
          .build();
    }

    private void audited(String action, FederationRelationship relationship) {
      audit.append(
          AuditEvent.of(
              clock.instant(),
              CertificateAuthorityService.caller().auditName(),
              action,
              relationship.trustDomain().name(),
              AuditEvent.OK,
              "url=" + relationship.url()));
    }

    private static TrustbridgeException notFound(TrustDomain td) {
      return new TrustbridgeException(ErrorCode.NOT_FOUND, "no federation relationship with " + td);
    }
  }
}
