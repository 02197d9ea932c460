package dev.trustbridge.ca.keys.vault;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import io.github.jopenlibs.vault.EnvironmentLoader;
import io.github.jopenlibs.vault.Vault;
import io.github.jopenlibs.vault.VaultConfig;
import io.github.jopenlibs.vault.VaultException;
import io.github.jopenlibs.vault.response.AuthResponse;
import io.github.jopenlibs.vault.response.LogicalResponse;
import io.github.jopenlibs.vault.response.LookupResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A logged-in connection to Vault, shared by the Transit key manager and the PKI upstream: one HTTP
 * client (one TLS configuration, one connection pool) and one token, kept valid.
 *
 * <p><b>It blocks.</b> Every request method waits for Vault (up to {@link
 * VaultSettings#requestTimeout()}, plus a login or renewal when one is due). Call it from a worker
 * thread, never from a Vert.x event loop or a gRPC transport thread; it refuses to run on a thread
 * named like a Vert.x event loop.
 *
 * <p><b>Token life cycle.</b> The first request logs in ({@link VaultAuth.AppRole}, {@link
 * VaultAuth.Kubernetes}) or looks the given token up ({@code auth/token/lookup-self}, for {@link
 * VaultAuth.Token}). Once two thirds of the token's TTL have passed (read from the injected {@link
 * Clock}), the next request first renews it ({@code auth/token/renew-self}, asking for the original
 * TTL again). It logs in again instead when the token is not renewable, when renewal fails, or when
 * Vault grants less than half the TTL asked for (the token is near its max TTL). A fixed token that
 * can no longer be renewed is used until Vault refuses it.
 *
 * <p><b>Errors.</b> A 403 from Vault drops the token and, where the session can log in, retries
 * once with a fresh one. A 403 that remains, any 5xx, 429, a timeout or a transport failure
 * (refused connection, TLS failure) is {@code UNAVAILABLE}: the caller is not at fault, and the
 * request may succeed later. Other 4xx answers are returned as a {@link VaultReply} for the caller
 * to interpret (404 is "absent"). Tokens, secret ids and JWTs never appear in messages or logs.
 */
public final class VaultSession implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(VaultSession.class);
  private static final Duration RETRY_FAILED_RENEWAL_AFTER = Duration.ofSeconds(30);

  private final VaultSettings settings;
  private final Clock clock;
  private final ExecutorService httpExecutor;
  private final HttpClient http;
  private final Object loginLock = new Object();
  private volatile Lease lease;
  private volatile boolean closed;

  private VaultSession(VaultSettings settings, Clock clock) {
    this.settings = settings;
    this.clock = clock;
    AtomicInteger threads = new AtomicInteger();
    this.httpExecutor =
        Executors.newCachedThreadPool(
            task -> {
              Thread thread = new Thread(task, "vault-http-" + threads.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    HttpClient.Builder builder =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            // A redirect would carry the token to wherever it points; Vault standbys forward.
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(settings.connectTimeout())
            .executor(httpExecutor);
    if (settings.address().getScheme().equals("https")) {
      builder.sslContext(sslContext(settings.caFile().orElse(null)));
    }
    this.http = builder.build();
  }

  /**
   * A session for {@code settings}. It does not contact Vault yet: the first request logs in, so
   * that a Vault that is down at start delays only what needs it.
   *
   * @throws IllegalArgumentException if the CA file cannot be read or holds no certificate
   */
  public static VaultSession open(VaultSettings settings, Clock clock) {
    return new VaultSession(
        Objects.requireNonNull(settings, "settings"), Objects.requireNonNull(clock, "clock"));
  }

  /** The settings this session was opened with. */
  public VaultSettings settings() {
    return settings;
  }

  /** {@code GET /v1/<path>}. */
  public VaultReply read(String path) {
    return call("GET", path, vault -> reply(vault.logical().read(path)));
  }

  /** {@code LIST /v1/<path>}; a 404 (Vault's answer for an empty list) is returned as such. */
  public VaultReply list(String path) {
    return call(
        "LIST",
        path,
        vault -> {
          LogicalResponse response = vault.logical().list(path);
          return response == null
              ? new VaultReply(404, new io.github.jopenlibs.vault.json.JsonObject())
              : reply(response);
        });
  }

  /** {@code POST /v1/<path>} with {@code body} as a JSON object. */
  public VaultReply write(String path, Map<String, Object> body) {
    return call("POST", path, vault -> reply(vault.logical().write(path, body)));
  }

  /** {@code DELETE /v1/<path>}. */
  public VaultReply delete(String path) {
    return call("DELETE", path, vault -> reply(vault.logical().delete(path)));
  }

  /**
   * Checks that Vault is initialized, unsealed and active ({@code sys/health} answers 200).
   *
   * @throws TrustbridgeException {@code UNAVAILABLE} otherwise
   */
  public void requireHealthy() {
    requireUsable();
    VaultReply reply =
        send("GET", "sys/health", () -> reply(driver(null).logical().read("sys/health")));
    if (reply.status() != 200) {
      throw unavailable(
          "Vault at " + settings.baseAddress() + " is not healthy (HTTP " + reply.status() + ")",
          null);
    }
  }

  /** Forgets the token; requests after this fail. The token is left to expire in Vault. */
  @Override
  public void close() {
    closed = true;
    lease = null;
    httpExecutor.shutdownNow();
  }

  @Override
  public String toString() {
    return "VaultSession[address="
        + settings.baseAddress()
        + ", auth="
        + describe(settings.auth())
        + "]";
  }

  // --- requests ----------------------------------------------------------------------------

  @FunctionalInterface
  private interface DriverCall {
    VaultReply call(Vault vault) throws VaultException;
  }

  @FunctionalInterface
  private interface Exchange {
    VaultReply run() throws VaultException;
  }

  private VaultReply call(String method, String path, DriverCall call) {
    Objects.requireNonNull(path, "path");
    requireUsable();
    for (int attempt = 0; ; attempt++) {
      Lease current = currentLease();
      VaultReply reply = send(method, path, () -> call.call(current.vault()));
      if (reply.status() == 403) {
        if (attempt == 0 && settings.auth().canLogIn()) {
          LOG.info("Vault denied {} {} (HTTP 403); logging in again", method, path);
          invalidate(current);
          continue;
        }
        throw unavailable(
            "Vault denied "
                + method
                + " "
                + path
                + " (HTTP 403 permission denied): check the Vault token and its policy",
            null);
      }
      if (reply.status() >= 500 || reply.status() == 429) {
        throw unavailable(
            "Vault answered HTTP " + reply.status() + " to " + method + " " + path, null);
      }
      return reply;
    }
  }

  private VaultReply send(String method, String path, Exchange exchange) {
    try {
      return exchange.run();
    } catch (VaultException e) {
      int status = e.getHttpStatusCode();
      if (status >= 400) {
        // The driver throws for some statuses (5xx everywhere, any non-204 on delete); its
        // message holds the response body, which is not ours to repeat.
        return new VaultReply(status, new io.github.jopenlibs.vault.json.JsonObject());
      }
      throw unavailable(
          "cannot reach Vault at "
              + settings.baseAddress()
              + " for "
              + method
              + " "
              + path
              + ": "
              + rootCause(e),
          e);
    } catch (RuntimeException e) {
      throw unavailable(
          "request to Vault at " + settings.baseAddress() + " failed: " + rootCause(e), e);
    }
  }

  private static VaultReply reply(LogicalResponse response) {
    return VaultReply.of(
        response.getRestResponse().getStatus(), response.getRestResponse().getBody());
  }

  private void requireUsable() {
    if (closed) {
      throw new TrustbridgeException(ErrorCode.FAILED_PRECONDITION, "the Vault session is closed");
    }
    if (Thread.currentThread().getName().startsWith("vert.x-eventloop-thread")) {
      throw new IllegalStateException(
          "Vault calls block; do not call them on a Vert.x event loop thread");
    }
  }

  // --- token life cycle --------------------------------------------------------------------

  /** A token, the driver bound to it, and when to renew it. A zero TTL never expires. */
  private record Lease(
      String token,
      Vault vault,
      Instant obtainedAt,
      Duration ttl,
      Duration requestedTtl,
      boolean renewable,
      Instant refreshAt) {

    boolean expired(Instant now) {
      return !ttl.isZero() && !now.isBefore(obtainedAt.plus(ttl));
    }

    boolean due(Instant now) {
      return !ttl.isZero() && !now.isBefore(refreshAt);
    }

    Lease retryRefreshAt(Instant when) {
      return new Lease(token, vault, obtainedAt, ttl, requestedTtl, renewable, when);
    }

    @Override
    public String toString() {
      return "Lease[ttl=" + ttl + ", renewable=" + renewable + ", refreshAt=" + refreshAt + "]";
    }
  }

  private Lease newLease(
      String token, Instant now, Duration ttl, Duration requested, boolean renewable) {
    Instant refreshAt = now.plus(ttl.multipliedBy(2).dividedBy(3));
    return new Lease(token, driver(token), now, ttl, requested, renewable, refreshAt);
  }

  private Lease currentLease() {
    Lease current = lease;
    if (current != null && !current.due(clock.instant())) {
      return current;
    }
    synchronized (loginLock) {
      current = lease;
      Instant now = clock.instant();
      if (current == null) {
        current = establish(now);
      } else if (current.due(now)) {
        current = refresh(current, now);
      }
      lease = current;
      return current;
    }
  }

  private void invalidate(Lease stale) {
    synchronized (loginLock) {
      if (lease == stale) {
        lease = null;
      }
    }
  }

  private Lease establish(Instant now) {
    VaultAuth auth = settings.auth();
    if (auth instanceof VaultAuth.Token fixed) {
      return lookUp(fixed.token(), now);
    }
    return logIn(now);
  }

  private Lease refresh(Lease current, Instant now) {
    VaultAuth auth = settings.auth();
    if (current.renewable() && !current.expired(now)) {
      try {
        Lease renewed = renew(current, now);
        boolean nearMaxTtl = renewed.ttl().compareTo(current.requestedTtl().dividedBy(2)) < 0;
        if (!nearMaxTtl || !auth.canLogIn()) {
          return renewed;
        }
        LOG.info(
            "Vault granted only {}s on renewal (token near its max TTL); logging in again",
            renewed.ttl().toSeconds());
      } catch (TrustbridgeException e) {
        if (!auth.canLogIn()) {
          LOG.warn("cannot renew the Vault token: {}", e.getMessage());
          return current.retryRefreshAt(now.plus(RETRY_FAILED_RENEWAL_AFTER));
        }
        LOG.info("cannot renew the Vault token ({}); logging in again", e.getMessage());
      }
    }
    if (auth.canLogIn()) {
      return logIn(now);
    }
    // A fixed token that cannot be renewed: use it until Vault refuses it.
    return current.retryRefreshAt(
        current.expired(now)
            ? now.plus(RETRY_FAILED_RENEWAL_AFTER)
            : current.obtainedAt().plus(current.ttl()));
  }

  private Lease lookUp(String token, Instant now) {
    LookupResponse response =
        authCall(
            "look up the Vault token (auth/token/lookup-self)",
            () -> driver(token).auth().lookupSelf());
    Duration ttl = Duration.ofSeconds(Math.max(0, response.getTTL()));
    Duration creationTtl = Duration.ofSeconds(Math.max(0, response.getCreationTTL()));
    Duration requested = creationTtl.isZero() ? ttl : creationTtl;
    LOG.info(
        "Vault token looked up: ttl={}s renewable={}", ttl.toSeconds(), response.isRenewable());
    return newLease(token, now, ttl, requested, response.isRenewable());
  }

  private Lease renew(Lease current, Instant now) {
    long increment = Math.max(1, current.requestedTtl().toSeconds());
    AuthResponse response =
        authCall(
            "renew the Vault token (auth/token/renew-self)",
            () -> current.vault().auth().renewSelf(increment));
    Duration ttl = Duration.ofSeconds(Math.max(0, response.getAuthLeaseDuration()));
    LOG.debug("Vault token renewed: ttl={}s", ttl.toSeconds());
    Lease renewed =
        newLease(current.token(), now, ttl, current.requestedTtl(), response.isAuthRenewable());
    return renewed;
  }

  private Lease logIn(Instant now) {
    VaultAuth auth = settings.auth();
    Vault anonymous = driver(null);
    AuthResponse response;
    String where;
    if (auth instanceof VaultAuth.AppRole appRole) {
      where = "auth/" + appRole.mount() + "/login";
      response =
          authCall(
              "log in to Vault with AppRole at " + where,
              () ->
                  anonymous
                      .auth()
                      .loginByAppRole(appRole.mount(), appRole.roleId(), appRole.secretId()));
    } else if (auth instanceof VaultAuth.Kubernetes kubernetes) {
      where = "auth/" + kubernetes.mount() + "/login";
      String jwt = readJwt(kubernetes.jwtPath());
      response =
          authCall(
              "log in to Vault with Kubernetes at " + where,
              // The driver's third argument is the auth path ("auth/<mount>"), not the mount
              // (unlike loginByAppRole's first argument).
              () ->
                  anonymous
                      .auth()
                      .loginByKubernetes(kubernetes.role(), jwt, "auth/" + kubernetes.mount()));
    } else {
      throw new IllegalStateException("a fixed Vault token cannot log in");
    }
    String token = response.getAuthClientToken();
    if (token == null || token.isEmpty()) {
      throw unavailable("Vault login at " + where + " returned no client token", null);
    }
    Duration ttl = Duration.ofSeconds(Math.max(0, response.getAuthLeaseDuration()));
    LOG.info(
        "logged in to Vault: method={} lease={}s renewable={}",
        where,
        ttl.toSeconds(),
        response.isAuthRenewable());
    return newLease(token, now, ttl, ttl, response.isAuthRenewable());
  }

  @FunctionalInterface
  private interface AuthCall<T> {
    T call() throws VaultException;
  }

  private <T> T authCall(String what, AuthCall<T> call) {
    try {
      return call.call();
    } catch (VaultException e) {
      int status = e.getHttpStatusCode();
      String detail = status > 0 ? "HTTP " + status : rootCause(e);
      throw unavailable("cannot " + what + ": " + detail, status > 0 ? null : e);
    } catch (RuntimeException e) {
      throw unavailable("cannot " + what + ": " + rootCause(e), e);
    }
  }

  private static String readJwt(Path path) {
    try {
      String jwt = Files.readString(path, StandardCharsets.UTF_8).trim();
      if (jwt.isEmpty()) {
        throw unavailable("the Kubernetes service account token file " + path + " is empty", null);
      }
      return jwt;
    } catch (IOException e) {
      throw unavailable(
          "cannot read the Kubernetes service account token file " + path + ": " + e, e);
    }
  }

  // --- plumbing ----------------------------------------------------------------------------

  /** A driver bound to {@code token} (none for logins), over the shared HTTP client. */
  private Vault driver(String token) {
    try {
      VaultConfig config =
          new VaultConfig()
              // Without this, build() reads VAULT_ADDR, VAULT_TOKEN, VAULT_SSL_* from the
              // environment and a login request could carry an unrelated token.
              .environmentLoader(NoEnvironment.INSTANCE)
              .address(settings.baseAddress())
              .token(token)
              // Engine version 1: the KV v2 default rewrites paths to .../data/...
              .engineVersion(1)
              .openTimeout(seconds(settings.connectTimeout()))
              .readTimeout(seconds(settings.requestTimeout()))
              .httpClient(http)
              .build();
      return Vault.create(config, 1);
    } catch (VaultException e) {
      throw new IllegalStateException("cannot configure the Vault driver: " + e.getMessage(), e);
    }
  }

  private static int seconds(Duration duration) {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, duration.toSeconds()));
  }

  private static SSLContext sslContext(Path caFile) {
    try {
      if (caFile == null) {
        return SSLContext.getDefault();
      }
      Collection<? extends Certificate> certificates;
      try (InputStream in = Files.newInputStream(caFile)) {
        certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
      }
      if (certificates.isEmpty()) {
        throw new IllegalArgumentException("Vault CA file " + caFile + " holds no certificate");
      }
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      int index = 0;
      for (Certificate certificate : certificates) {
        trust.setCertificateEntry("vault-ca-" + index++, certificate);
      }
      TrustManagerFactory factory =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, factory.getTrustManagers(), null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot read the Vault CA file " + caFile + ": " + e, e);
    }
  }

  private static TrustbridgeException unavailable(String message, Throwable cause) {
    return new TrustbridgeException(ErrorCode.UNAVAILABLE, message, cause);
  }

  private static String rootCause(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage();
    return root.getClass().getSimpleName() + (message == null ? "" : " (" + message + ")");
  }

  private static String describe(VaultAuth auth) {
    if (auth instanceof VaultAuth.Token) {
      return "token";
    }
    if (auth instanceof VaultAuth.AppRole appRole) {
      return "approle@" + appRole.mount();
    }
    VaultAuth.Kubernetes kubernetes = (VaultAuth.Kubernetes) auth;
    return "kubernetes@" + kubernetes.mount();
  }

  /** An environment with no variables, so the driver configures nothing behind our back. */
  private static final class NoEnvironment extends EnvironmentLoader {
    static final NoEnvironment INSTANCE = new NoEnvironment();

    @Override
    public String loadVariable(String name) {
      return null;
    }
  }
}
