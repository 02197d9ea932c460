package dev.trustbridge.ca.authn;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.trustbridge.ca.config.SpiffeIdTemplate;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.InvalidSpiffeIdException;
import dev.trustbridge.spiffe.id.SpiffeId;
import java.text.ParseException;
import java.time.Clock;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Verifies bearer JWTs from configured issuers (Kubernetes service account tokens being the common
 * case) and maps their claims to a SPIFFE ID. Signature, {@code alg}, {@code iss}, {@code aud},
 * {@code exp}, {@code nbf} and token age are all checked; unsigned tokens are refused.
 */
public final class JwtAuthenticator {
  public static final String MALFORMED = "bearer token is not a signed JWT";
  public static final String UNKNOWN_ISSUER = "JWT issuer is not trusted";
  public static final String UNMAPPABLE = "JWT claims do not map to a valid SPIFFE ID";
  public static final String TOO_OLD = "JWT was issued too long ago";

  private static final String K8S_PREFIX = "system:serviceaccount:";
  private static final long CLOCK_SKEW_SECONDS = 60;

  private final List<JwtIssuer> issuers;
  private final Clock clock;

  public JwtAuthenticator(List<JwtIssuer> issuers, Clock clock) {
    this.issuers = List.copyOf(issuers);
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** True if at least one issuer is configured. */
  public boolean enabled() {
    return !issuers.isEmpty();
  }

  /**
   * Verifies a compact JWT and returns the caller it maps to.
   *
   * @param clusterId the Istio {@code clusterid} metadata value, if the caller sent one
   * @throws TrustbridgeException UNAUTHENTICATED naming what was wrong
   */
  public Caller.Jwt authenticate(String token, Optional<String> clusterId) {
    Objects.requireNonNull(token, "token");
    String unverifiedIssuer;
    try {
      unverifiedIssuer = SignedJWT.parse(token).getJWTClaimsSet().getIssuer();
    } catch (ParseException | RuntimeException e) {
      throw unauthenticated(MALFORMED);
    }
    JwtIssuer issuer =
        issuers.stream()
            .filter(i -> i.issuer().equals(unverifiedIssuer))
            .filter(i -> clusterId.map(c -> c.equals(i.clusterId())).orElse(true))
            .findFirst()
            .orElseThrow(() -> unauthenticated(UNKNOWN_ISSUER));
    JWTClaimsSet claims = verify(issuer, token);
    Date issuedAt = claims.getIssueTime();
    if (issuedAt != null
        && issuedAt.toInstant().plus(issuer.maxTokenAge()).isBefore(clock.instant())) {
      throw unauthenticated(TOO_OLD);
    }
    return new Caller.Jwt(mapToSpiffeId(issuer, claims), issuer.name(), claims.getSubject());
  }

  private JWTClaimsSet verify(JwtIssuer issuer, String token) {
    DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    processor.setJWSTypeVerifier(
        new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT, new JOSEObjectType("jwt"), null));
    processor.setJWSKeySelector(
        new JWSVerificationKeySelector<>(issuer.algorithms(), issuer.keys()));
    DefaultJWTClaimsVerifier<SecurityContext> claimsVerifier =
        new DefaultJWTClaimsVerifier<>(
            issuer.audiences(),
            new JWTClaimsSet.Builder().issuer(issuer.issuer()).build(),
            Set.of("exp", "iat", "sub", "aud"),
            null) {
          @Override
          protected Date currentTime() {
            return Date.from(clock.instant());
          }
        };
    claimsVerifier.setMaxClockSkew((int) CLOCK_SKEW_SECONDS);
    processor.setJWTClaimsSetVerifier(claimsVerifier);
    try {
      return processor.process(token, null);
    } catch (BadJOSEException e) {
      throw unauthenticated("JWT rejected: " + e.getMessage());
    } catch (ParseException e) {
      throw unauthenticated(MALFORMED);
    } catch (JOSEException e) {
      throw TrustbridgeException.unavailable("JWT verification keys unavailable", e);
    }
  }

  /** Expands the issuer's path template with the token's claims. */
  static SpiffeId mapToSpiffeId(JwtIssuer issuer, JWTClaimsSet claims) {
    Map<String, String> kubernetes = kubernetesValues(claims.getSubject());
    try {
      SpiffeId id =
          issuer
              .pathTemplate()
              .expand(
                  issuer.trustDomain(),
                  name -> {
                    if (name.startsWith(SpiffeIdTemplate.CLAIM_PREFIX)) {
                      Object claim =
                          claims.getClaim(name.substring(SpiffeIdTemplate.CLAIM_PREFIX.length()));
                      return claim instanceof String value ? value : null;
                    }
                    return name.equals(SpiffeIdTemplate.SUB)
                        ? claims.getSubject()
                        : kubernetes.get(name);
                  });
      if (id.isTrustDomainId()) {
        throw unauthenticated(UNMAPPABLE);
      }
      return id;
    } catch (IllegalArgumentException | NullPointerException | InvalidSpiffeIdException e) {
      // Each value is checked as one segment, but the whole ID can still break a rule (its
      // length): that is a token we cannot map, not a bad request.
      throw unauthenticated(UNMAPPABLE);
    }
  }

  private static Map<String, String> kubernetesValues(String subject) {
    if (subject == null || !subject.startsWith(K8S_PREFIX)) {
      return Map.of();
    }
    String[] parts = subject.substring(K8S_PREFIX.length()).split(":", -1);
    if (parts.length != 2) {
      return Map.of();
    }
    return Map.of(SpiffeIdTemplate.NAMESPACE, parts[0], SpiffeIdTemplate.SERVICE_ACCOUNT, parts[1]);
  }

  private static TrustbridgeException unauthenticated(String message) {
    return new TrustbridgeException(ErrorCode.UNAUTHENTICATED, message);
  }
}
