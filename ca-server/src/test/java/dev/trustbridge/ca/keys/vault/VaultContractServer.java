package dev.trustbridge.ca.keys.vault;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.github.jopenlibs.vault.json.Json;
import io.github.jopenlibs.vault.json.JsonArray;
import io.github.jopenlibs.vault.json.JsonObject;
import io.github.jopenlibs.vault.json.JsonValue;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.DigestInfo;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

/**
 * A CONTRACT TEST SERVER for Vault: an in-test HTTP(S) server that implements the parts of Vault's
 * documented HTTP API that Trustbridge uses, with real cryptography, so the Vault client code is
 * exercised over real HTTP, real TLS and real signatures on a machine without Vault.
 *
 * <p>Implemented, with Vault's JSON shapes ({@code data}, {@code auth}, {@code errors}, {@code
 * warnings}) and status codes: {@code sys/health}; Transit {@code keys} (create, read, list,
 * config, rotate, delete, with the {@code deletion_allowed} rule and the "already existed"
 * warning), {@code sign} (prehashed, {@code asn1} marshaling, {@code pkcs1v15}, {@code
 * key_version}); PKI {@code root/sign-intermediate} and {@code issuer/<ref>/sign-intermediate} with
 * a root CA it holds, or with an intermediate issuer under that root ({@link
 * #pkiIntermediateIssuerName()}; {@code ca_chain} then holds the intermediate and the root); {@code
 * auth/token/lookup-self}, {@code auth/token/renew-self}, {@code auth/approle/login}, {@code
 * auth/kubernetes/login}. Tokens are checked on every other request ({@code X-Vault-Token}; 403
 * {@code {"errors":["permission denied"]}}), and their TTLs run on the injected {@link Clock}. Not
 * implemented: anything else (404, as Vault answers unknown routes), RSA-PSS and JWS marshaling
 * (400).
 *
 * <p>Fault injection for the tests: signing with an unrelated key, answering with a certificate for
 * another key, denying everything, stopping and restarting on the same port.
 */
public final class VaultContractServer implements AutoCloseable {
  public static final String ROOT_TOKEN = "hvs.contract-root-token";

  private static final Pattern NAME = Pattern.compile("\\w([\\w.-]*\\w)?");
  private static final SecureRandom RANDOM = new SecureRandom();

  private final boolean https;
  private final Clock clock;
  private final TestCertificates.Ca tlsCa;
  private final SSLContext serverTls;
  private final Path caFile;
  private volatile TestCertificates.Ca pkiRoot;
  private volatile TestCertificates.Ca pkiIntermediate;
  private final String pkiIssuerId = UUID.randomUUID().toString();
  private final int port;
  private HttpServer server;
  private ExecutorService executor;

  private final Map<String, TokenState> tokens = new ConcurrentHashMap<>();
  private final Map<String, TransitKey> transitKeys = new ConcurrentHashMap<>();
  private final Map<String, LoginRole> appRoles = new ConcurrentHashMap<>();
  private final Map<String, LoginRole> kubernetesRoles = new ConcurrentHashMap<>();
  private final List<String> kubernetesJwtsSeen = new CopyOnWriteArrayList<>();
  private final Map<String, Integer> logins = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicInteger renewals =
      new java.util.concurrent.atomic.AtomicInteger();
  private volatile boolean lieOnSign;
  private volatile boolean denyEverything;
  private volatile boolean pkiAnswersForAnotherKey;

  private VaultContractServer(boolean https, Clock clock, Path directory) throws Exception {
    this.https = https;
    this.clock = clock;
    Instant now = Instant.now();
    this.tlsCa = TestCertificates.selfSignedCa("Vault contract server TLS CA", now);
    KeyPair tlsKey = TestCertificates.ecKeyPair();
    X509Certificate tlsCertificate =
        TestCertificates.serverCertificate(tlsCa, tlsKey.getPublic(), now);
    KeyStore keyStore = KeyStore.getInstance("PKCS12");
    keyStore.load(null, null);
    char[] password = "contract".toCharArray();
    keyStore.setKeyEntry(
        "tls",
        tlsKey.getPrivate(),
        password,
        new Certificate[] {tlsCertificate, tlsCa.certificate()});
    KeyManagerFactory keyManagers =
        KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keyManagers.init(keyStore, password);
    this.serverTls = SSLContext.getInstance("TLS");
    serverTls.init(keyManagers.getKeyManagers(), null, null);
    this.caFile = directory.resolve("vault-contract-ca.pem");
    Files.writeString(caFile, TestCertificates.pem(tlsCa.certificate()));
    this.pkiRoot = TestCertificates.selfSignedCa("Vault contract PKI root", now);
    this.pkiIntermediate =
        TestCertificates.intermediateCa(pkiRoot, "Vault contract PKI intermediate", now);
    tokens.put(ROOT_TOKEN, TokenState.root());
    this.server = bind(0);
    this.port = server.getAddress().getPort();
    server.start();
  }

  /** Starts over HTTPS; clients trust {@link #caFile()}. */
  public static VaultContractServer startHttps(Clock clock, Path directory) throws Exception {
    return new VaultContractServer(true, clock, directory);
  }

  /** Starts over plain HTTP. */
  public static VaultContractServer startHttp(Clock clock, Path directory) throws Exception {
    return new VaultContractServer(false, clock, directory);
  }

  public URI address() {
    return URI.create((https ? "https" : "http") + "://localhost:" + port);
  }

  /** The PEM file of the CA that the HTTPS certificate chains to. */
  public Path caFile() {
    return caFile;
  }

  public X509Certificate pkiRootCertificate() {
    return pkiRoot.certificate();
  }

  /**
   * Replaces the PKI root by a new self-signed one, as an operator rotating Vault's default issuer
   * does; later signatures come from the new root. Returns the new root certificate.
   */
  public X509Certificate rotatePkiRoot() {
    pkiRoot =
        TestCertificates.selfSignedCa(
            "Vault contract PKI root " + UUID.randomUUID(), clock.instant());
    return pkiRoot.certificate();
  }

  public String pkiIssuerName() {
    return "contract-root";
  }

  public String pkiIssuerId() {
    return pkiIssuerId;
  }

  /** The issuer reference of an intermediate issuer signed by the PKI root. */
  public String pkiIntermediateIssuerName() {
    return "contract-intermediate";
  }

  public X509Certificate pkiIntermediateCertificate() {
    return pkiIntermediate.certificate();
  }

  /** Stops listening (state is kept), as a Vault that went down. */
  public synchronized void stop() {
    if (server != null) {
      server.stop(0);
      executor.shutdownNow();
      server = null;
    }
  }

  /** Listens again on the same port. */
  public synchronized void restart() throws IOException {
    if (server == null) {
      server = bind(port);
      server.start();
    }
  }

  @Override
  public void close() {
    stop();
  }

  // --- configuration and fault injection ---------------------------------------------------

  /** A token with these lease properties, as {@code vault token create} would make. */
  public String createToken(Duration ttl, Duration maxTtl, boolean renewable) {
    TokenState state =
        TokenState.issue(clock.instant(), ttl, maxTtl, renewable, "auth/token/create");
    tokens.put(state.id, state);
    return state.id;
  }

  public void addAppRole(
      String roleId, String secretId, Duration ttl, Duration maxTtl, boolean renewable) {
    appRoles.put(roleId, new LoginRole(secretId, ttl, maxTtl, renewable));
  }

  public void addKubernetesRole(
      String role, String jwt, Duration ttl, Duration maxTtl, boolean renewable) {
    kubernetesRoles.put(role, new LoginRole(jwt, ttl, maxTtl, renewable));
  }

  public void revokeAllTokensExceptRoot() {
    tokens.keySet().removeIf(token -> !token.equals(ROOT_TOKEN));
  }

  public int logins(String mount) {
    return logins.getOrDefault(mount, 0);
  }

  /** How many successful {@code auth/token/renew-self} calls there were. */
  public int renewals() {
    return renewals.get();
  }

  public List<String> kubernetesJwtsSeen() {
    return List.copyOf(kubernetesJwtsSeen);
  }

  public void lieOnSign(boolean lie) {
    this.lieOnSign = lie;
  }

  public void denyEverything(boolean deny) {
    this.denyEverything = deny;
  }

  public void pkiAnswersForAnotherKey(boolean wrong) {
    this.pkiAnswersForAnotherKey = wrong;
  }

  /** Rotates a Transit key as {@code POST transit/keys/<name>/rotate} does. */
  public void rotateTransitKey(String name) {
    transitKeys.get(name).rotate(clock.instant());
  }

  // --- HTTP --------------------------------------------------------------------------------

  private HttpServer bind(int bindPort) throws IOException {
    InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), bindPort);
    HttpServer created;
    if (https) {
      HttpsServer secure = HttpsServer.create(address, 50);
      secure.setHttpsConfigurator(new HttpsConfigurator(serverTls));
      created = secure;
    } else {
      created = HttpServer.create(address, 50);
    }
    executor = Executors.newFixedThreadPool(16);
    created.setExecutor(executor);
    created.createContext("/v1/", this::handle);
    return created;
  }

  /** One answer: status and JSON body (null for 204). */
  private record Answer(int status, JsonObject body) {
    static Answer ok(JsonObject body) {
      return new Answer(200, body);
    }

    static Answer error(int status, String... errors) {
      return new Answer(status, new JsonObject().add("errors", Json.array(errors)));
    }

    static Answer noContent() {
      return new Answer(204, null);
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    Answer answer;
    try {
      String method = exchange.getRequestMethod();
      String query = exchange.getRequestURI().getRawQuery();
      if (method.equals("GET") && query != null && query.contains("list=true")) {
        method = "LIST";
      }
      if (method.equals("PUT")) {
        method = "POST";
      }
      String path = exchange.getRequestURI().getPath().substring("/v1/".length());
      byte[] raw = exchange.getRequestBody().readAllBytes();
      JsonObject body =
          raw.length == 0
              ? new JsonObject()
              : Json.parse(new String(raw, StandardCharsets.UTF_8)).asObject();
      String token = exchange.getRequestHeaders().getFirst("X-Vault-Token");
      answer = route(method, path, body, token);
    } catch (BadRequest e) {
      answer = Answer.error(400, e.getMessage());
    } catch (RuntimeException e) {
      answer = Answer.error(500, "contract server: " + e);
    }
    if (answer.body() == null) {
      exchange.sendResponseHeaders(answer.status(), -1);
    } else {
      byte[] bytes = answer.body().toString().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(answer.status(), bytes.length);
      exchange.getResponseBody().write(bytes);
    }
    exchange.close();
  }

  private static final class BadRequest extends RuntimeException {
    BadRequest(String message) {
      super(message);
    }
  }

  private Answer route(String method, String path, JsonObject body, String token)
      throws IOException {
    if (path.equals("sys/health") && method.equals("GET")) {
      return Answer.ok(
          new JsonObject()
              .add("initialized", true)
              .add("sealed", false)
              .add("standby", false)
              .add("performance_standby", false)
              .add("server_time_utc", clock.instant().getEpochSecond())
              .add("version", "1.17.0+contract")
              .add("cluster_name", "vault-contract"));
    }
    Matcher login = Pattern.compile("auth/([\\w-]+)/login").matcher(path);
    if (login.matches() && method.equals("POST")) {
      return login(login.group(1), body);
    }
    TokenState caller = token == null ? null : tokens.get(token);
    if (caller == null || caller.expired(clock.instant()) || denyEverything) {
      return Answer.error(403, "permission denied");
    }
    if (path.equals("auth/token/lookup-self") && method.equals("GET")) {
      return Answer.ok(envelope().add("data", caller.lookup(clock.instant())));
    }
    if (path.equals("auth/token/renew-self") && method.equals("POST")) {
      return renew(caller, body);
    }
    if (path.startsWith("transit/")) {
      return transit(method, path.substring("transit/".length()), body);
    }
    if (path.startsWith("pki/")) {
      return pki(method, path.substring("pki/".length()), body);
    }
    return noRoute(path);
  }

  private static Answer noRoute(String path) {
    return Answer.error(404, "no handler for route \"" + path + "\". route entry not found.");
  }

  private static JsonObject envelope() {
    return new JsonObject()
        .add("request_id", UUID.randomUUID().toString())
        .add("lease_id", "")
        .add("renewable", false)
        .add("lease_duration", 0)
        .add("data", Json.NULL)
        .add("wrap_info", Json.NULL)
        .add("warnings", Json.NULL)
        .add("auth", Json.NULL);
  }

  // --- auth --------------------------------------------------------------------------------

  private record LoginRole(String secret, Duration ttl, Duration maxTtl, boolean renewable) {}

  private Answer login(String mount, JsonObject body) {
    LoginRole role;
    if (mount.equals("approle")) {
      role = appRoles.get(body.getString("role_id", ""));
      if (role == null || !role.secret().equals(body.getString("secret_id", ""))) {
        return Answer.error(400, "invalid role or secret ID");
      }
    } else if (mount.equals("kubernetes")) {
      String jwt = body.getString("jwt", "");
      kubernetesJwtsSeen.add(jwt);
      role = kubernetesRoles.get(body.getString("role", ""));
      if (role == null) {
        return Answer.error(400, "invalid role name \"" + body.getString("role", "") + "\"");
      }
      if (!role.secret().equals(jwt)) {
        return Answer.error(403, "permission denied");
      }
    } else {
      return noRoute("auth/" + mount + "/login");
    }
    logins.merge(mount, 1, Integer::sum);
    TokenState state =
        TokenState.issue(
            clock.instant(),
            role.ttl(),
            role.maxTtl(),
            role.renewable(),
            "auth/" + mount + "/login");
    tokens.put(state.id, state);
    return Answer.ok(envelope().add("auth", state.auth(state.ttl(clock.instant()))));
  }

  private Answer renew(TokenState caller, JsonObject body) {
    if (!caller.renewable) {
      return Answer.error(400, "lease is not renewable");
    }
    Instant now = clock.instant();
    long increment = body.getLong("increment", 0);
    Duration asked = increment > 0 ? Duration.ofSeconds(increment) : caller.creationTtl;
    Duration granted = asked;
    JsonObject answer = envelope();
    if (caller.maxExpiresAt != null && now.plus(asked).isAfter(caller.maxExpiresAt)) {
      granted = Duration.between(now, caller.maxExpiresAt);
      answer.set(
          "warnings",
          Json.array(
              "TTL of \""
                  + asked.toSeconds()
                  + "s\" exceeded the effective max_ttl of \""
                  + granted.toSeconds()
                  + "s\"; TTL value is capped accordingly"));
    }
    caller.expiresAt = now.plus(granted);
    renewals.incrementAndGet();
    return Answer.ok(answer.set("auth", caller.auth(granted)));
  }

  private static final class TokenState {
    final String id = "hvs." + HexFormat.of().formatHex(randomBytes(16));
    final String accessor = HexFormat.of().formatHex(randomBytes(12));
    final Instant created;
    final Duration creationTtl;
    volatile Instant expiresAt; // null: never
    final Instant maxExpiresAt; // null: never
    final boolean renewable;
    final String path;
    final String fixedId;

    private TokenState(
        String fixedId,
        Instant created,
        Duration creationTtl,
        Instant expiresAt,
        Instant maxExpiresAt,
        boolean renewable,
        String path) {
      this.fixedId = fixedId;
      this.created = created;
      this.creationTtl = creationTtl;
      this.expiresAt = expiresAt;
      this.maxExpiresAt = maxExpiresAt;
      this.renewable = renewable;
      this.path = path;
    }

    static TokenState root() {
      return new TokenState(
          ROOT_TOKEN, Instant.EPOCH, Duration.ZERO, null, null, false, "auth/token/root");
    }

    static TokenState issue(
        Instant now, Duration ttl, Duration maxTtl, boolean renewable, String path) {
      return new TokenState(null, now, ttl, now.plus(ttl), now.plus(maxTtl), renewable, path);
    }

    String token() {
      return fixedId != null ? fixedId : id;
    }

    boolean expired(Instant now) {
      return expiresAt != null && !now.isBefore(expiresAt);
    }

    Duration ttl(Instant now) {
      return expiresAt == null ? Duration.ZERO : Duration.between(now, expiresAt);
    }

    JsonObject auth(Duration leaseDuration) {
      return new JsonObject()
          .add("client_token", token())
          .add("accessor", accessor)
          .add("policies", Json.array("default", "trustbridge"))
          .add("token_policies", Json.array("default", "trustbridge"))
          .add("metadata", Json.NULL)
          .add("lease_duration", leaseDuration.toSeconds())
          .add("renewable", renewable)
          .add("entity_id", "")
          .add("token_type", "service")
          .add("orphan", true)
          .add("mfa_requirement", Json.NULL)
          .add("num_uses", 0);
    }

    JsonObject lookup(Instant now) {
      return new JsonObject()
          .add("accessor", accessor)
          .add("creation_time", created.getEpochSecond())
          .add("creation_ttl", creationTtl.toSeconds())
          .add("display_name", fixedId != null ? "root" : "approle")
          .add("entity_id", "")
          .add("expire_time", expiresAt == null ? Json.NULL : Json.value(rfc3339(expiresAt)))
          .add("explicit_max_ttl", 0)
          .add("id", token())
          .add("issue_time", rfc3339(created))
          .add("meta", Json.NULL)
          .add("num_uses", 0)
          .add("orphan", true)
          .add("path", path)
          .add(
              "policies",
              fixedId != null ? Json.array("root") : Json.array("default", "trustbridge"))
          .add("renewable", renewable)
          .add("ttl", ttl(now).toSeconds())
          .add("type", "service");
    }
  }

  // --- transit -----------------------------------------------------------------------------

  private final class TransitKey {
    final String name;
    final String type;
    final List<KeyPair> versions = new ArrayList<>();
    final List<Instant> created = new ArrayList<>();
    volatile boolean deletionAllowed;

    TransitKey(String name, String type, Instant now) {
      this.name = name;
      this.type = type;
      rotate(now);
    }

    synchronized void rotate(Instant now) {
      versions.add(generate(type));
      created.add(now);
    }

    synchronized int latest() {
      return versions.size();
    }

    synchronized KeyPair version(int version) {
      return versions.get(version - 1);
    }

    synchronized JsonObject describe() {
      JsonObject keys = new JsonObject();
      for (int v = 1; v <= versions.size(); v++) {
        keys.add(
            Integer.toString(v),
            new JsonObject()
                .add("creation_time", rfc3339(created.get(v - 1)))
                .add("name", curveName(type))
                .add("public_key", formattedPublicKey(type, versions.get(v - 1).getPublic())));
      }
      boolean rsa = type.startsWith("rsa-");
      return new JsonObject()
          .add("name", name)
          .add("type", type)
          .add("derived", false)
          .add("deletion_allowed", deletionAllowed)
          .add("min_available_version", 0)
          .add("min_decryption_version", 1)
          .add("min_encryption_version", 0)
          .add("latest_version", versions.size())
          .add("exportable", false)
          .add("allow_plaintext_backup", false)
          .add("supports_encryption", rsa)
          .add("supports_decryption", rsa)
          .add("supports_signing", true)
          .add("supports_derivation", type.equals("ed25519"))
          .add("auto_rotate_period", 0)
          .add("imported_key", false)
          .add("keys", keys);
    }
  }

  private Answer transit(String method, String rest, JsonObject body) {
    if (rest.equals("keys") && method.equals("LIST")) {
      List<String> names = new ArrayList<>(new TreeMap<>(transitKeys).keySet());
      if (names.isEmpty()) {
        return Answer.error(404);
      }
      return Answer.ok(
          envelope()
              .set("data", new JsonObject().add("keys", Json.array(names.toArray(String[]::new)))));
    }
    Matcher keys = Pattern.compile("keys/([^/]+)(/config|/rotate)?").matcher(rest);
    Matcher sign = Pattern.compile("sign/([^/]+)").matcher(rest);
    if (keys.matches() && NAME.matcher(keys.group(1)).matches()) {
      String name = keys.group(1);
      String action = keys.group(2);
      TransitKey key = transitKeys.get(name);
      if (action == null) {
        switch (method) {
          case "GET":
            return key == null
                ? Answer.error(404)
                : Answer.ok(envelope().set("data", key.describe()));
          case "POST":
            return createKey(name, body);
          case "DELETE":
            if (key == null) {
              throw new BadRequest(
                  "error deleting policy " + name + ": could not delete key; not found");
            }
            if (!key.deletionAllowed) {
              throw new BadRequest(
                  "error deleting policy " + name + ": deletion is not allowed for this policy");
            }
            transitKeys.remove(name);
            return Answer.noContent();
          default:
            return Answer.error(405, "unsupported operation");
        }
      }
      if (key == null || !method.equals("POST")) {
        return key == null
            ? Answer.error(400, "no existing key named " + name + " could be found")
            : Answer.error(405, "unsupported operation");
      }
      if (action.equals("/config")) {
        JsonValue allowed = body.get("deletion_allowed");
        if (allowed != null) {
          key.deletionAllowed =
              allowed.isBoolean() ? allowed.asBoolean() : Boolean.parseBoolean(allowed.asString());
        }
      } else {
        key.rotate(clock.instant());
      }
      return Answer.ok(envelope().set("data", key.describe()));
    }
    if (sign.matches() && method.equals("POST") && NAME.matcher(sign.group(1)).matches()) {
      return sign(sign.group(1), body);
    }
    return noRoute("transit/" + rest);
  }

  private Answer createKey(String name, JsonObject body) {
    String type = body.getString("type", "aes256-gcm96");
    if (!List.of("ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-3072", "rsa-4096", "ed25519")
        .contains(type)) {
      throw new BadRequest("contract server: key type " + type + " is not implemented");
    }
    if (body.getBoolean("exportable", false) || body.getBoolean("allow_plaintext_backup", false)) {
      throw new BadRequest("contract server: exportable keys are not implemented");
    }
    boolean[] created = {false};
    TransitKey key =
        transitKeys.computeIfAbsent(
            name,
            n -> {
              created[0] = true;
              return new TransitKey(n, type, clock.instant());
            });
    JsonObject answer = envelope().set("data", key.describe());
    if (!created[0]) {
      answer.set("warnings", Json.array("key " + name + " already existed"));
    }
    return Answer.ok(answer);
  }

  private Answer sign(String name, JsonObject body) {
    TransitKey key = transitKeys.get(name);
    if (key == null) {
      throw new BadRequest("signing key not found");
    }
    int version = body.getInt("key_version", 0);
    if (version == 0) {
      version = key.latest();
    }
    if (version < 0 || version > key.latest()) {
      throw new BadRequest("requested version for signing does not exist");
    }
    byte[] input;
    try {
      input = Base64.getDecoder().decode(body.getString("input", ""));
    } catch (IllegalArgumentException e) {
      throw new BadRequest("unable to decode input as base64: " + e.getMessage());
    }
    boolean prehashed = body.getBoolean("prehashed", false);
    String hash = body.getString("hash_algorithm", "sha2-256");
    String marshaling = body.getString("marshaling_algorithm", "asn1");
    String rsaScheme = body.getString("signature_algorithm", "pss");
    KeyPair signer = lieOnSign ? generate(key.type) : key.version(version);
    byte[] signature;
    try {
      if (key.type.equals("ed25519")) {
        if (prehashed) {
          throw new BadRequest("only pure ed25519 is supported");
        }
        signature = sign("Ed25519", signer.getPrivate(), input);
      } else {
        String jcaHash =
            switch (hash) {
              case "sha2-256" -> "SHA-256";
              case "sha2-384" -> "SHA-384";
              case "sha2-512" -> "SHA-512";
              default -> throw new BadRequest("unsupported hash algorithm " + hash);
            };
        byte[] digest = prehashed ? input : MessageDigest.getInstance(jcaHash).digest(input);
        if (key.type.startsWith("ecdsa-")) {
          if (!marshaling.equals("asn1")) {
            throw new BadRequest(
                "contract server: marshaling " + marshaling + " is not implemented");
          }
          signature = sign("NONEwithECDSA", signer.getPrivate(), digest);
        } else {
          if (!rsaScheme.equals("pkcs1v15")) {
            throw new BadRequest("contract server: RSA " + rsaScheme + " is not implemented");
          }
          var oid =
              switch (jcaHash) {
                case "SHA-256" -> NISTObjectIdentifiers.id_sha256;
                case "SHA-384" -> NISTObjectIdentifiers.id_sha384;
                default -> NISTObjectIdentifiers.id_sha512;
              };
          byte[] digestInfo =
              new DigestInfo(new AlgorithmIdentifier(oid, DERNull.INSTANCE), digest)
                  .getEncoded("DER");
          signature = sign("NONEwithRSA", signer.getPrivate(), digestInfo);
        }
      }
    } catch (BadRequest e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return Answer.ok(
        envelope()
            .set(
                "data",
                new JsonObject()
                    .add(
                        "signature",
                        "vault:v" + version + ":" + Base64.getEncoder().encodeToString(signature))
                    .add("key_version", version)));
  }

  private static byte[] sign(String algorithm, PrivateKey key, byte[] data) throws Exception {
    Signature signature = Signature.getInstance(algorithm);
    signature.initSign(key);
    signature.update(data);
    return signature.sign();
  }

  private static KeyPair generate(String type) {
    try {
      KeyPairGenerator generator;
      switch (type) {
        case "ecdsa-p256", "ecdsa-p384" -> {
          generator = KeyPairGenerator.getInstance("EC");
          generator.initialize(
              new ECGenParameterSpec(type.equals("ecdsa-p256") ? "secp256r1" : "secp384r1"));
        }
        case "ed25519" -> generator = KeyPairGenerator.getInstance("Ed25519");
        default -> {
          generator = KeyPairGenerator.getInstance("RSA");
          generator.initialize(Integer.parseInt(type.substring("rsa-".length())));
        }
      }
      return generator.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String curveName(String type) {
    return switch (type) {
      case "ecdsa-p256" -> "P-256";
      case "ecdsa-p384" -> "P-384";
      default -> type;
    };
  }

  /** As Vault formats it: PEM SubjectPublicKeyInfo, except base64 of the raw key for Ed25519. */
  private static String formattedPublicKey(String type, PublicKey key) {
    byte[] spki = key.getEncoded();
    if (type.equals("ed25519")) {
      return Base64.getEncoder()
          .encodeToString(java.util.Arrays.copyOfRange(spki, spki.length - 32, spki.length));
    }
    return "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(spki)
        + "\n-----END PUBLIC KEY-----\n";
  }

  // --- pki ---------------------------------------------------------------------------------

  private Answer pki(String method, String rest, JsonObject body) throws IOException {
    Matcher issuer = Pattern.compile("issuer/([^/]+)/sign-intermediate").matcher(rest);
    if (!method.equals("POST")) {
      return noRoute("pki/" + rest);
    }
    TestCertificates.Ca pkiRoot = this.pkiRoot;
    if (issuer.matches()) {
      String ref = issuer.group(1);
      if (ref.equals(pkiIntermediateIssuerName())) {
        TestCertificates.Ca intermediate = pkiIntermediate;
        return signIntermediate(
            body, intermediate, List.of(intermediate.certificate(), pkiRoot.certificate()));
      }
      if (!ref.equals("default") && !ref.equals(pkiIssuerName()) && !ref.equals(pkiIssuerId)) {
        throw new BadRequest("unable to find PKI issuer for reference: " + ref);
      }
    } else if (!rest.equals("root/sign-intermediate")) {
      return noRoute("pki/" + rest);
    }
    return signIntermediate(body, pkiRoot, List.of(pkiRoot.certificate()));
  }

  /**
   * Signs the CSR with {@code signer}; {@code caChain} is the signer's certificate and those above
   * it, as Vault returns them.
   */
  private Answer signIntermediate(
      JsonObject body, TestCertificates.Ca signer, List<X509Certificate> caChain)
      throws IOException {
    String csrPem = body.getString("csr", "");
    if (csrPem.isBlank()) {
      throw new BadRequest("\"csr\" is empty");
    }
    Object parsed;
    try (PEMParser parser = new PEMParser(new StringReader(csrPem))) {
      parsed = parser.readObject();
    }
    if (!(parsed instanceof PKCS10CertificationRequest csr)) {
      throw new BadRequest("certificate request could not be parsed");
    }
    String commonName = body.getString("common_name", "");
    if (commonName.isBlank()) {
      throw new BadRequest(
          "the common_name field is required, or must be provided in a CSR with \"use_csr_values\" set to true");
    }
    Duration ttl = parseTtl(body.getString("ttl", "720h"));
    boolean useCsrValues = body.getBoolean("use_csr_values", false);
    Instant now = clock.instant();
    try {
      PublicKey key = new JcaPKCS10CertificationRequest(csr).getPublicKey();
      if (pkiAnswersForAnotherKey) {
        key = TestCertificates.ecKeyPair().getPublic();
      }
      Instant notAfter = now.plus(ttl);
      Instant signerNotAfter = signer.certificate().getNotAfter().toInstant();
      if (notAfter.isAfter(signerNotAfter)) {
        notAfter = signerNotAfter;
      }
      X500Name subject = useCsrValues ? csr.getSubject() : new X500Name("CN=" + commonName);
      BigInteger serial = new BigInteger(159, RANDOM);
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              signer.certificate(),
              serial,
              Date.from(now.minusSeconds(30)),
              Date.from(notAfter),
              new javax.security.auth.x500.X500Principal(subject.getEncoded()),
              key);
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      builder.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
      builder.addExtension(
          Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(key));
      builder.addExtension(
          Extension.authorityKeyIdentifier,
          false,
          utils.createAuthorityKeyIdentifier(signer.certificate()));
      if (useCsrValues) {
        // As Vault: with use_csr_values the CSR's alternative names (here its URI SAN) are kept.
        copySubjectAlternativeName(csr, builder);
      }
      X509Certificate certificate = TestCertificates.sign(builder, signer.keyPair());
      JsonArray chainPems = new JsonArray();
      caChain.forEach(c -> chainPems.add(TestCertificates.pem(c).trim()));
      return Answer.ok(
          envelope()
              .set(
                  "data",
                  new JsonObject()
                      .add("certificate", TestCertificates.pem(certificate).trim())
                      .add("issuing_ca", TestCertificates.pem(signer.certificate()).trim())
                      .add("ca_chain", chainPems)
                      .add("serial_number", colonHex(serial))
                      .add("expiration", notAfter.getEpochSecond())));
    } catch (BadRequest e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void copySubjectAlternativeName(
      PKCS10CertificationRequest csr, X509v3CertificateBuilder builder) throws IOException {
    for (org.bouncycastle.asn1.pkcs.Attribute attribute :
        csr.getAttributes(
            org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
      org.bouncycastle.asn1.x509.Extensions requested =
          org.bouncycastle.asn1.x509.Extensions.getInstance(
              attribute.getAttrValues().getObjectAt(0));
      Extension san = requested.getExtension(Extension.subjectAlternativeName);
      if (san != null) {
        builder.addExtension(san);
      }
    }
  }

  private static Duration parseTtl(String ttl) {
    Matcher m = Pattern.compile("(\\d+)([smhd]?)").matcher(ttl);
    if (!m.matches()) {
      throw new BadRequest("invalid ttl " + ttl);
    }
    long value = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "m" -> Duration.ofMinutes(value);
      case "h" -> Duration.ofHours(value);
      case "d" -> Duration.ofDays(value);
      default -> Duration.ofSeconds(value);
    };
  }

  private static String colonHex(BigInteger serial) {
    String hex = serial.toString(16);
    if (hex.length() % 2 == 1) {
      hex = "0" + hex;
    }
    List<String> pairs = new ArrayList<>();
    for (int i = 0; i < hex.length(); i += 2) {
      pairs.add(hex.substring(i, i + 2));
    }
    return String.join(":", pairs);
  }

  private static String rfc3339(Instant instant) {
    return DateTimeFormatter.ISO_INSTANT.format(instant);
  }

  private static byte[] randomBytes(int length) {
    byte[] bytes = new byte[length];
    RANDOM.nextBytes(bytes);
    return bytes;
  }
}
