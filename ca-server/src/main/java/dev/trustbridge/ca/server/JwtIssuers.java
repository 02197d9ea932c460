package dev.trustbridge.ca.server;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import dev.trustbridge.ca.authn.JwtIssuer;
import dev.trustbridge.ca.config.JwtIssuerConfig;
import dev.trustbridge.ca.tls.ClientTls;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.io.IOException;
import java.net.MalformedURLException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.text.ParseException;
import java.util.List;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** Turns configured JWT issuers into verifiers with their key sources. */
final class JwtIssuers {
  private static final int JWKS_TIMEOUT_MS = 5_000;
  private static final int JWKS_SIZE_LIMIT = 512 * 1024;

  private JwtIssuers() {}

  static List<JwtIssuer> from(List<JwtIssuerConfig> configs) {
    return configs.stream().map(JwtIssuers::from).toList();
  }

  private static JwtIssuer from(JwtIssuerConfig config) {
    return new JwtIssuer(
        config.name(),
        config.issuer(),
        keys(config),
        config.audiences(),
        config.algorithms().stream()
            .map(a -> JWSAlgorithm.parse(a.name()))
            .collect(Collectors.toSet()),
        config.trustDomain(),
        config.spiffeIdTemplate(),
        config.clusterId(),
        config.maxTokenAge());
  }

  private static JWKSource<SecurityContext> keys(JwtIssuerConfig config) {
    String where = "authn.jwt_issuers[" + config.name() + "]";
    if (config.jwks() instanceof JwtIssuerConfig.JwksFile file) {
      try {
        return new ImmutableJWKSet<>(JWKSet.load(file.path().toFile()));
      } catch (IOException | ParseException e) {
        throw new TrustbridgeException(
            ErrorCode.FAILED_PRECONDITION,
            where + ".jwks_file: cannot read a JWKS from " + file.path() + ": " + e.getMessage());
      }
    }
    JwtIssuerConfig.JwksUrl url = (JwtIssuerConfig.JwksUrl) config.jwks();
    DefaultResourceRetriever retriever =
        new DefaultResourceRetriever(
            JWKS_TIMEOUT_MS,
            JWKS_TIMEOUT_MS,
            JWKS_SIZE_LIMIT,
            true,
            url.caFile().map(ca -> socketFactory(where, ca)).orElse(null));
    try {
      return JWKSourceBuilder.create(url.url().toURL(), retriever).build();
    } catch (MalformedURLException e) {
      throw new TrustbridgeException(ErrorCode.FAILED_PRECONDITION, where + ".jwks_url: " + e);
    }
  }

  private static javax.net.ssl.SSLSocketFactory socketFactory(String where, java.nio.file.Path ca) {
    try {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      int i = 0;
      for (X509Certificate certificate : ClientTls.readCertificates(ca)) {
        trust.setCertificateEntry("ca" + i++, certificate);
      }
      TrustManagerFactory factory =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, factory.getTrustManagers(), null);
      return context.getSocketFactory();
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw new TrustbridgeException(
          ErrorCode.FAILED_PRECONDITION, where + ".jwks_ca_file: cannot load " + ca + ": " + e);
    }
  }
}
