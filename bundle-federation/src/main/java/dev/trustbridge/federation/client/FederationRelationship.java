package dev.trustbridge.federation.client;

import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.net.URI;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One federation relationship (SPIFFE Federation sections 5.1 and 6): the trust domain whose bundle
 * is fetched, the bundle endpoint URL and the endpoint profile, all configured explicitly. Nothing
 * is ever inferred from the URL: not the trust domain, not the profile (section 7.2).
 *
 * <p>The URL must be an absolute {@code https} URL with a host and without userinfo or fragment
 * (section 5.2.1); port, path and query are free. An invalid relationship cannot be constructed.
 *
 * @param trustDomain the trust domain whose bundle the endpoint serves
 * @param url the bundle endpoint URL, used for every poll (redirect targets are never stored)
 * @param profile how the endpoint is authenticated
 */
public record FederationRelationship(TrustDomain trustDomain, URI url, Profile profile) {
  public static final String URL_NOT_ABSOLUTE = "bundle endpoint URL must be absolute";
  public static final String URL_NOT_HTTPS = "bundle endpoint URL scheme must be https";
  public static final String URL_USERINFO = "bundle endpoint URL must not contain userinfo";
  public static final String URL_NO_HOST = "bundle endpoint URL must have a host";
  public static final String URL_FRAGMENT = "bundle endpoint URL must not have a fragment";
  public static final String ENDPOINT_ID_ROOT =
      "endpoint SPIFFE ID must have a path (it names a workload, not a trust domain)";
  public static final String BOOTSTRAP_OTHER_TRUST_DOMAIN =
      "bootstrap bundle must be of the endpoint SPIFFE ID's trust domain";
  public static final String BOOTSTRAP_NO_X509 = "bootstrap bundle has no X.509 authorities";

  public FederationRelationship {
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(profile, "profile");
    checkUrl(Objects.requireNonNull(url, "url"));
  }

  /**
   * Checks a bundle endpoint URL, or a redirect target, by section 5.2.1.
   *
   * @throws TrustbridgeException {@code INVALID_ARGUMENT} with one of the {@code URL_*} messages
   */
  public static void checkUrl(URI url) {
    if (!url.isAbsolute() || url.isOpaque()) {
      throw TrustbridgeException.invalidArgument(URL_NOT_ABSOLUTE);
    }
    if (!"https".equals(url.getScheme().toLowerCase(Locale.ROOT))) {
      throw TrustbridgeException.invalidArgument(URL_NOT_HTTPS);
    }
    if (url.getRawUserInfo() != null
        || (url.getRawAuthority() != null && url.getRawAuthority().contains("@"))) {
      throw TrustbridgeException.invalidArgument(URL_USERINFO);
    }
    if (url.getHost() == null || url.getHost().isEmpty()) {
      throw TrustbridgeException.invalidArgument(URL_NO_HOST);
    }
    if (url.getRawFragment() != null) {
      throw TrustbridgeException.invalidArgument(URL_FRAGMENT);
    }
  }

  /** The endpoint profile; exactly one, never a fallback from one to the other (section 7.2). */
  public sealed interface Profile permits HttpsWeb, HttpsSpiffe {}

  /**
   * {@code https_web}: the server certificate is validated by RFC 6125 (a chain to a trusted CA and
   * a SAN matching the URL host).
   *
   * @param trustAnchors the CAs to trust; empty means the JDK's system roots
   */
  public record HttpsWeb(List<X509Certificate> trustAnchors) implements Profile {
    public HttpsWeb {
      trustAnchors = List.copyOf(Objects.requireNonNull(trustAnchors, "trustAnchors"));
    }

    /** Trusts the JDK's system roots. */
    public static HttpsWeb systemRoots() {
      return new HttpsWeb(List.of());
    }
  }

  /**
   * {@code https_spiffe}: the server must present a valid X509-SVID for exactly {@code endpointId}.
   * It is validated against the latest bundle of the endpoint's trust domain in the {@link
   * FederatedBundleStore}, and against {@code bootstrapBundle} only while the store has none
   * (before the first successful fetch in the self-serving case). No host name is checked.
   *
   * @param endpointId the SPIFFE ID the endpoint's server certificate must carry
   * @param bootstrapBundle a bundle of {@code endpointId}'s trust domain, obtained securely out of
   *     band (SPIFFE bundle format; {@code PemBundles.readBundle} reads PEM)
   */
  public record HttpsSpiffe(SpiffeId endpointId, SpiffeBundle bootstrapBundle) implements Profile {
    public HttpsSpiffe {
      Objects.requireNonNull(endpointId, "endpointId");
      Objects.requireNonNull(bootstrapBundle, "bootstrapBundle");
      if (endpointId.isTrustDomainId()) {
        throw TrustbridgeException.invalidArgument(ENDPOINT_ID_ROOT);
      }
      if (!bootstrapBundle.trustDomain().equals(endpointId.trustDomain())) {
        throw TrustbridgeException.invalidArgument(BOOTSTRAP_OTHER_TRUST_DOMAIN);
      }
      if (bootstrapBundle.x509Authorities().isEmpty()) {
        throw TrustbridgeException.invalidArgument(BOOTSTRAP_NO_X509);
      }
    }

    /** True when the endpoint serves the bundle of its own trust domain. */
    public boolean isSelfServing(TrustDomain served) {
      return endpointId.isMemberOf(served);
    }
  }
}
