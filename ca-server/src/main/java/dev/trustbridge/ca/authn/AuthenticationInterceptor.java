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
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Authenticates every call except health checks and reflection, and puts the {@link Caller} in the
 * gRPC context. Credentials, in order of precedence: {@code authorization: Bearer <JWT>}, {@code
 * authorization: JoinToken <token>} (only on the methods that issue agent SVIDs), then the mTLS
 * client certificate, which must be an X509-SVID of a hosted trust domain.
 */
public final class AuthenticationInterceptor implements ServerInterceptor {
  /** The authenticated caller of the current call. */
  public static final Context.Key<Caller> CALLER = Context.key("trustbridge.caller");

  static final Metadata.Key<String> AUTHORIZATION =
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

  private final PeerVerifier peerVerifier;
  private final JwtAuthenticator jwts;
  private final JoinTokens joinTokens;
  private final Set<String> joinTokenMethods;

  public AuthenticationInterceptor(
      PeerVerifier peerVerifier,
      JwtAuthenticator jwts,
      JoinTokens joinTokens,
      Set<String> joinTokenMethods) {
    this.peerVerifier = Objects.requireNonNull(peerVerifier, "peerVerifier");
    this.jwts = Objects.requireNonNull(jwts, "jwts");
    this.joinTokens = Objects.requireNonNull(joinTokens, "joinTokens");
    this.joinTokenMethods = Set.copyOf(joinTokenMethods);
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
    List<X509Certificate> chain = peerChain(call);
    if (chain.isEmpty()) {
      throw unauthenticated(NO_CREDENTIALS);
    }
    return peerVerifier.verify(chain);
  }

  private static List<X509Certificate> peerChain(ServerCall<?, ?> call) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
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
