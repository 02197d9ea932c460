package dev.trustbridge.ca.authn;

import dev.trustbridge.ca.api.GrpcErrors;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Authenticates every call except health checks and reflection, and puts the {@link Caller} in the
 * gRPC context. Credentials, in order of precedence: {@code authorization: Bearer <JWT>}, {@code
 * authorization: JoinToken <token>} (only on the methods that issue agent SVIDs), then the mTLS
 * client certificate, which must be an X509-SVID of a hosted trust domain.
 *
 * <p>A verified mTLS caller is remembered in its {@link SSLSession}, so the peer chain is verified
 * once per TLS session rather than on every call. The remembered caller is used only while the
 * trust version (see {@link #AuthenticationInterceptor(PeerVerifier, JwtAuthenticator, JoinTokens,
 * Set, Supplier, Clock)}) equals the one it was verified against and the clock is before the
 * earliest notAfter of the peer's chain; otherwise the chain is verified again. Failures are never
 * remembered.
 */
public final class AuthenticationInterceptor implements ServerInterceptor {
  /** The authenticated caller of the current call. */
  public static final Context.Key<Caller> CALLER = Context.key("trustbridge.caller");

  /** The header that carries a join token or a JWT; a call without it is authenticated by mTLS. */
  public static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  static final Metadata.Key<String> CLUSTER_ID =
      Metadata.Key.of("clusterid", Metadata.ASCII_STRING_MARSHALLER);

  public static final String NO_CREDENTIALS =
      "no credentials: present an X509-SVID, a JWT or a join token";
  public static final String BAD_AUTHORIZATION =
      "authorization header must be 'Bearer <JWT>' or 'JoinToken <token>'";
  public static final String JOIN_TOKEN_NOT_HERE = "join tokens are accepted only for signing";

  /** Verifies an mTLS peer chain as an X509-SVID of a hosted trust domain. */
  @FunctionalInterface
  public interface PeerVerifier {
    Caller.Svid verify(List<X509Certificate> chain);
  }

  private static final Set<String> PUBLIC_SERVICES =
      Set.of(
          "grpc.health.v1.Health",
          "grpc.reflection.v1.ServerReflection",
          "grpc.reflection.v1alpha.ServerReflection");

  /** The {@link SSLSession} value name under which a verified caller is remembered. */
  static final String SESSION_CALLER = "dev.trustbridge.ca.authn.caller";

  /** A caller verified in one TLS session, and what the verification depended on. */
  private record VerifiedPeer(
      Caller.Svid caller, X509Certificate leaf, Object trustVersion, Instant validUntil) {}

  private final PeerVerifier peerVerifier;
  private final JwtAuthenticator jwts;
  private final JoinTokens joinTokens;
  private final Set<String> joinTokenMethods;
  private final Supplier<?> trustVersion; // null: verify every call
  private final Clock clock;

  /** Verifies the mTLS peer on every call (nothing is remembered per TLS session). */
  public AuthenticationInterceptor(
      PeerVerifier peerVerifier,
      JwtAuthenticator jwts,
      JoinTokens joinTokens,
      Set<String> joinTokenMethods) {
    this(peerVerifier, jwts, joinTokens, joinTokenMethods, null, null);
  }

  /**
   * Verifies the mTLS peer once per TLS session, and again when the trust changed or the chain
   * expired.
   *
   * @param trustVersion the identity of what {@code peerVerifier} trusts right now, compared with
   *     {@link Object#equals}: it must change whenever a verification could come out differently
   *     (e.g. the list of the hosted trust domains' current bundles, which are replaced, never
   *     mutated, when their roots change); called on every mTLS call, so it must be cheap
   * @param clock read on every call to compare with the chain's earliest notAfter
   */
  public AuthenticationInterceptor(
      PeerVerifier peerVerifier,
      JwtAuthenticator jwts,
      JoinTokens joinTokens,
      Set<String> joinTokenMethods,
      Supplier<?> trustVersion,
      Clock clock) {
    this.peerVerifier = Objects.requireNonNull(peerVerifier, "peerVerifier");
    this.jwts = Objects.requireNonNull(jwts, "jwts");
    this.joinTokens = Objects.requireNonNull(joinTokens, "joinTokens");
    this.joinTokenMethods = Set.copyOf(joinTokenMethods);
    if ((trustVersion == null) != (clock == null)) {
      throw new IllegalArgumentException("trustVersion and clock go together");
    }
    this.trustVersion = trustVersion;
    this.clock = clock;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    String service = call.getMethodDescriptor().getServiceName();
    if (service != null && PUBLIC_SERVICES.contains(service)) {
      return next.startCall(call, headers);
    }
    Caller caller;
    try {
      caller = authenticate(call, headers);
    } catch (RuntimeException e) {
      call.close(GrpcErrors.toStatus(e).getStatus(), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    Context context = Context.current().withValue(CALLER, caller);
    return Contexts.interceptCall(context, call, headers, next);
  }

  private Caller authenticate(ServerCall<?, ?> call, Metadata headers) {
    String authorization = headers.get(AUTHORIZATION);
    if (authorization != null) {
      if (startsWithIgnoreCase(authorization, "Bearer ")) {
        String token = authorization.substring("Bearer ".length()).strip();
        return jwts.authenticate(token, Optional.ofNullable(headers.get(CLUSTER_ID)));
      }
      if (startsWithIgnoreCase(authorization, "JoinToken ")) {
        if (!joinTokenMethods.contains(call.getMethodDescriptor().getFullMethodName())) {
          throw unauthenticated(JOIN_TOKEN_NOT_HERE);
        }
        return joinTokens.redeem(authorization.substring("JoinToken ".length()).strip());
      }
      throw unauthenticated(BAD_AUTHORIZATION);
    }
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    List<X509Certificate> chain = peerChain(session);
    if (chain.isEmpty()) {
      throw unauthenticated(NO_CREDENTIALS);
    }
    if (trustVersion == null) {
      return peerVerifier.verify(chain);
    }
    return verifyOncePerSession(session, chain);
  }

  private Caller.Svid verifyOncePerSession(SSLSession session, List<X509Certificate> chain) {
    Object version = trustVersion.get();
    Instant now = clock.instant();
    X509Certificate leaf = chain.get(0);
    if (session.getValue(SESSION_CALLER) instanceof VerifiedPeer remembered
        && remembered.trustVersion().equals(version)
        && now.isBefore(remembered.validUntil())
        && remembered.leaf().equals(leaf)) {
      return remembered.caller();
    }
    Caller.Svid caller = peerVerifier.verify(chain); // throws: nothing is remembered
    Instant validUntil =
        chain.stream().map(c -> c.getNotAfter().toInstant()).min(Instant::compareTo).orElseThrow();
    if (caller.certificateExpiry().isBefore(validUntil)) {
      validUntil = caller.certificateExpiry();
    }
    session.putValue(SESSION_CALLER, new VerifiedPeer(caller, leaf, version, validUntil));
    return caller;
  }

  private static List<X509Certificate> peerChain(SSLSession session) {
    if (session == null) {
      return List.of();
    }
    try {
      Certificate[] certificates = session.getPeerCertificates();
      return Arrays.stream(certificates)
          .filter(X509Certificate.class::isInstance)
          .map(X509Certificate.class::cast)
          .toList();
    } catch (SSLPeerUnverifiedException e) {
      return List.of();
    }
  }

  private static boolean startsWithIgnoreCase(String value, String prefix) {
    return value.regionMatches(true, 0, prefix, 0, prefix.length());
  }

  private static TrustbridgeException unauthenticated(String message) {
    return new TrustbridgeException(ErrorCode.UNAUTHENTICATED, message);
  }
}
