package dev.trustbridge.ca.issuance;

import dev.trustbridge.ca.audit.AuditEvent;
import dev.trustbridge.ca.audit.AuditLog;
import dev.trustbridge.ca.audit.GroupCommitAuditLog;
import dev.trustbridge.ca.authn.Caller;
import dev.trustbridge.ca.authority.TrustDomainAuthority;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.keys.KeyType;
import dev.trustbridge.spiffe.svid.X509SvidBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Issues X509-SVIDs, following the request flow: authorize, validate the CSR, build the leaf from
 * the authorization result and only the CSR's public key, sign with the trust domain's active
 * intermediate, check what was signed, audit, respond. Refusals are audited too.
 */
public final class X509SvidIssuer {
  public static final String TTL_TOO_LONG = "requested TTL %ds exceeds the maximum of %ds";

  /** What to do with a requested TTL above the maximum. */
  public enum TtlOverMax {
    REJECT,
    CLAMP
  }

  /**
   * Leaf rules of one trust domain: lifetimes, key types, and whether each leaf's signature is
   * verified again although its in-process key was tested against the CA certificate ({@link
   * X509SvidBuilder#verifySignature}).
   */
  public record LeafPolicy(
      Duration defaultTtl,
      Duration maxTtl,
      TtlOverMax overMax,
      Set<KeyType> allowedKeyTypes,
      boolean verifySignature) {
    public LeafPolicy {
      Objects.requireNonNull(overMax, "overMax");
      allowedKeyTypes = Set.copyOf(allowedKeyTypes);
      if (defaultTtl.isNegative() || defaultTtl.isZero() || defaultTtl.compareTo(maxTtl) > 0) {
        throw new IllegalArgumentException("default TTL must be positive and at most the maximum");
      }
    }
  }

  /** An issued SVID: the chain (leaf first, then intermediates) and facts for the response. */
  public record Issued(
      SpiffeId spiffeId,
      List<X509Certificate> chain,
      Instant expiresAt,
      String serialHex,
      Set<TrustDomain> federatesWith) {
    public Issued {
      chain = List.copyOf(chain);
      federatesWith = Set.copyOf(federatesWith);
    }

    public X509Certificate leaf() {
      return chain.get(0);
    }
  }

  private final Map<TrustDomain, TrustDomainAuthority> authorities;
  private final Map<TrustDomain, LeafPolicy> policies;
  private final Authorizer authorizer;
  private final CsrValidator csrs;
  private final AuditLog audit;
  private final Clock clock;
  private final MeterRegistry metrics;
  private final Timer latency;

  public X509SvidIssuer(
      Map<TrustDomain, TrustDomainAuthority> authorities,
      Map<TrustDomain, LeafPolicy> policies,
      Authorizer authorizer,
      CsrValidator csrs,
      AuditLog audit,
      Clock clock,
      MeterRegistry metrics) {
    this.authorities = Map.copyOf(authorities);
    this.policies = Map.copyOf(policies);
    this.authorizer = Objects.requireNonNull(authorizer, "authorizer");
    this.csrs = Objects.requireNonNull(csrs, "csrs");
    this.audit = Objects.requireNonNull(audit, "audit");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.latency =
        Timer.builder("trustbridge_svid_sign_latency")
            .description("Time to authorize, validate, sign and check one X509-SVID")
            .publishPercentileHistogram()
            .register(metrics);
  }

  /**
   * Issues an X509-SVID, returning once its audit record is stored.
   *
   * @param requested the wanted ID; empty means the caller's own or mapped ID
   * @param requestedTtl zero or negative means the default
   */
  public Issued issue(
      Caller caller, Optional<SpiffeId> requested, byte[] csr, Duration requestedTtl) {
    return GroupCommitAuditLog.awaitStored(issueAsync(caller, requested, csr, requestedTtl));
  }

  /**
   * As {@link #issue}, without holding the calling thread while the audit record is made durable:
   * the checks and the signature run on the calling thread, and the result completes (on the audit
   * log's writer) once the record is stored. A refusal completes exceptionally, after its own
   * record, with the {@link TrustbridgeException} {@link #issue} would throw.
   */
  public CompletableFuture<Issued> issueAsync(
      Caller caller, Optional<SpiffeId> requested, byte[] csr, Duration requestedTtl) {
    Objects.requireNonNull(caller, "caller");
    return issue(
        caller,
        requested.orElse(caller.spiffeId()),
        () -> authorizer.authorize(caller, requested),
        csr,
        requestedTtl);
  }

  /**
   * Issues an X509-SVID for {@code target} on behalf of a node account (Istio's ztunnel
   * ImpersonatedIdentity), returning once its audit record is stored.
   */
  public Issued issueImpersonated(
      Caller caller, SpiffeId target, byte[] csr, Duration requestedTtl) {
    return GroupCommitAuditLog.awaitStored(
        issueImpersonatedAsync(caller, target, csr, requestedTtl));
  }

  /** As {@link #issueImpersonated}, completing once the audit record is stored. */
  public CompletableFuture<Issued> issueImpersonatedAsync(
      Caller caller, SpiffeId target, byte[] csr, Duration requestedTtl) {
    Objects.requireNonNull(caller, "caller");
    return issue(caller, target, () -> authorizer.impersonate(caller, target), csr, requestedTtl);
  }

  private CompletableFuture<Issued> issue(
      Caller caller,
      SpiffeId subjectId,
      Supplier<Authorizer.Grant> authorization,
      byte[] csr,
      Duration requestedTtl) {
    Timer.Sample sample = Timer.start();
    String subject = subjectId.toString();
    Issued issued;
    TrustDomain td;
    AuditEvent record;
    try {
      Authorizer.Grant grant = authorization.get();
      CsrValidator.ValidatedCsr validated = csrs.validate(csr);
      td = grant.spiffeId().trustDomain();
      LeafPolicy policy = policies.get(td);
      if (!policy.allowedKeyTypes().contains(validated.keyType())) {
        throw TrustbridgeException.invalidArgument(
            String.format(CsrValidator.KEY_TYPE_DISABLED, validated.keyType()));
      }
      Duration ttl = ttl(policy, grant.ttl(), requestedTtl);
      TrustDomainAuthority.Signer signer = authorities.get(td).signer();
      // build() checks what it signed (X509SvidProfileChecker.checkLeaf: profile, issuer, and the
      // signature where the policy or the key asks) and throws INTERNAL on any violation, so the
      // leaf is not checked again here.
      X509Certificate leaf =
          X509SvidBuilder.newBuilder(signer.ca(), clock)
              .spiffeId(grant.spiffeId())
              .publicKey(validated.publicKey())
              .dnsNames(grant.dnsNames())
              .ttl(ttl)
              .verifySignature(policy.verifySignature())
              .build();
      List<X509Certificate> chain = new ArrayList<>();
      chain.add(leaf);
      chain.addAll(signer.chain());
      String serial = leaf.getSerialNumber().toString(16);
      Instant expiresAt = leaf.getNotAfter().toInstant();
      record =
          AuditEvent.of(
                  clock.instant(),
                  caller.auditName(),
                  "x509.sign",
                  grant.spiffeId().toString(),
                  AuditEvent.OK,
                  "key=" + validated.keyType())
              .withIssued(serial, expiresAt);
      issued = new Issued(grant.spiffeId(), chain, expiresAt, serial, grant.federatesWith());
    } catch (TrustbridgeException e) {
      return refuse(caller, subject, e).whenComplete((ok, failure) -> sample.stop(latency));
    }
    // The certificate leaves only once its record is durable; a failed record fails the issuance.
    return audit
        .appendAsync(record)
        .handle(
            (ok, failure) -> {
              if (failure == null) {
                metrics.counter("trustbridge_svid_issued", "trust_domain", td.name()).increment();
                return CompletableFuture.completedFuture(issued);
              }
              RuntimeException cause = GroupCommitAuditLog.unwrap(failure);
              if (cause instanceof TrustbridgeException e) {
                return refuse(caller, subject, e);
              }
              return CompletableFuture.<Issued>failedFuture(cause);
            })
        .thenCompose(result -> result)
        .whenComplete((ok, failure) -> sample.stop(latency));
  }

  private Duration ttl(LeafPolicy policy, Optional<Duration> entryTtl, Duration requested) {
    Duration max = entryTtl.filter(t -> t.compareTo(policy.maxTtl()) < 0).orElse(policy.maxTtl());
    if (requested.isZero() || requested.isNegative()) {
      Duration fallback = entryTtl.orElse(policy.defaultTtl());
      return fallback.compareTo(max) > 0 ? max : fallback;
    }
    if (requested.compareTo(max) > 0) {
      if (policy.overMax() == TtlOverMax.CLAMP) {
        return max;
      }
      throw TrustbridgeException.invalidArgument(
          String.format(TTL_TOO_LONG, requested.toSeconds(), max.toSeconds()));
    }
    return requested;
  }

  /** Counts and audits a refusal; the result fails with {@code e} once the record is stored. */
  private CompletableFuture<Issued> refuse(Caller caller, String subject, TrustbridgeException e) {
    String outcome =
        switch (e.code()) {
          case PERMISSION_DENIED -> AuditEvent.DENIED;
          case INVALID_ARGUMENT -> AuditEvent.INVALID;
          case UNAUTHENTICATED -> AuditEvent.UNAUTHENTICATED;
          default -> AuditEvent.ERROR;
        };
    metrics
        .counter(
            "trustbridge_svid_refused",
            "reason",
            e.code().name().toLowerCase(java.util.Locale.ROOT))
        .increment();
    if (e.code() == ErrorCode.UNAVAILABLE) {
      return CompletableFuture.failedFuture(e); // the audit log may be the thing that is down
    }
    return audit
        .appendAsync(
            AuditEvent.of(
                clock.instant(), caller.auditName(), "x509.sign", subject, outcome, e.getMessage()))
        .handle(
            (ok, auditFailure) -> {
              if (auditFailure != null) {
                e.addSuppressed(GroupCommitAuditLog.unwrap(auditFailure));
              }
              throw e;
            });
  }
}
