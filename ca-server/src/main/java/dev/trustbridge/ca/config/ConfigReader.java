package dev.trustbridge.ca.config;

import static dev.trustbridge.ca.config.Durations.format;

import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.keys.KeyType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Walks a loaded YAML document along the schema and builds a {@link ServerConfig}, collecting every
 * problem. One instance reads one document. The {@code authn} section is read by {@link
 * AuthnReader}.
 */
final class ConfigReader {
  private static final ValueType<Optional<HostPort>> METRICS_LISTEN =
      new ValueType<>(
          "host:port or off",
          text -> text.equals("off") ? Optional.empty() : Optional.of(HostPort.parse(text)));

  private enum DatastoreType {
    SQLITE,
    POSTGRES
  }

  private enum KeysType {
    FILE,
    MEMORY,
    PKCS11,
    VAULT_TRANSIT
  }

  private final Path baseDir;
  private final List<String> problems = new ArrayList<>();

  static final String TRAILING_DOT =
      "a trust domain name ending in '.' cannot be hosted: Java cannot decode X509-SVIDs whose URI"
          + " host ends in '.'; write the name without it";

  /** Each hosted trust domain with the path of the key that names it. */
  private final Map<TrustDomain, String> hosted = new HashMap<>();

  private Path dataDir;
  private boolean hostedComplete;

  private ConfigReader(Path baseDir) {
    this.baseDir = baseDir;
    this.dataDir = baseDir;
  }

  /**
   * Reads a document loaded by snakeyaml-engine.
   *
   * @param baseDir the absolute directory that relative paths are resolved against
   * @throws ConfigException listing every problem
   */
  static ServerConfig read(Object document, Path baseDir) {
    ConfigReader reader = new ConfigReader(baseDir);
    ServerConfig config = YamlNode.root(document, reader.problems).object(reader::serverConfig);
    if (!reader.problems.isEmpty()) {
      throw new ConfigException(reader.problems);
    }
    return config;
  }

  private record ServerSection(
      Path dataDir, GrpcConfig grpc, MetricsConfig metrics, LogConfig log) {}

  private ServerConfig serverConfig(YamlNode root) {
    ServerSection server = root.get("server").object(this::server);
    DatastoreConfig datastore = root.get("datastore").object(this::datastore);
    KeysConfig keys = root.get("keys").object(this::keys);
    List<TrustDomainConfig> trustDomains = trustDomains(root.get("trust_domains"));
    AuthnConfig authn = new AuthnReader(baseDir, this::checkHosted).read(root.get("authn"));
    AdminConfig admin = root.get("admin").object(this::admin);
    FederationConfig federation = root.get("federation").object(ConfigReader::federation);
    Optional<Path> policyFile =
        Optional.ofNullable(root.get("policy_file").value(ValueType.path(baseDir), null));
    return root.build(
        () ->
            new ServerConfig(
                server.dataDir(),
                server.grpc(),
                server.metrics(),
                server.log(),
                datastore,
                keys,
                trustDomains,
                authn,
                admin,
                federation,
                policyFile));
  }

  private ServerSection server(YamlNode n) {
    Path dir = n.get("data_dir").value(ValueType.path(baseDir), baseDir.resolve("data"));
    dataDir = dir == null ? baseDir : dir;
    GrpcConfig grpc = n.get("grpc").object(ConfigReader::grpc);
    MetricsConfig metrics = n.get("metrics").object(ConfigReader::metrics);
    LogConfig log = n.get("log").object(ConfigReader::log);
    return n.build(() -> new ServerSection(dir, grpc, metrics, log));
  }

  private static GrpcConfig grpc(YamlNode n) {
    HostPort listen = n.get("listen").value(ValueType.HOST_PORT, GrpcConfig.DEFAULT_LISTEN);
    Integer maxCsrBytes =
        n.get("max_csr_bytes")
            .integer(1, GrpcConfig.MAX_CSR_BYTES_LIMIT, GrpcConfig.DEFAULT_MAX_CSR_BYTES);
    return n.build(() -> new GrpcConfig(listen, maxCsrBytes));
  }

  private static MetricsConfig metrics(YamlNode n) {
    Optional<HostPort> listen =
        n.get("listen").value(METRICS_LISTEN, Optional.of(MetricsConfig.DEFAULT_LISTEN));
    return n.build(() -> new MetricsConfig(listen));
  }

  private static LogConfig log(YamlNode n) {
    LogConfig.Format format =
        n.get("format").value(ValueType.oneOf(LogConfig.Format.class), LogConfig.Format.KEYVALUE);
    LogConfig.Level level =
        n.get("level").value(ValueType.oneOf(LogConfig.Level.class), LogConfig.Level.INFO);
    return n.build(() -> new LogConfig(format, level));
  }

  private DatastoreConfig datastore(YamlNode n) {
    DatastoreType type =
        n.get("type").value(ValueType.oneOf(DatastoreType.class), DatastoreType.SQLITE);
    if (type == null) {
      n.ignore("path", "url", "username_env", "password_env", "password_file");
      return null;
    }
    if (type == DatastoreType.SQLITE) {
      n.forbid("only for type: postgres", "url", "username_env", "password_env", "password_file");
      Path path = n.get("path").value(ValueType.path(dataDir), dataDir.resolve("trustbridge.db"));
      return n.build(() -> new DatastoreConfig.Sqlite(path));
    }
    n.forbid("only for type: sqlite", "path");
    YamlNode urlNode = n.get("url");
    String url = urlNode.required(ValueType.STRING);
    if (url != null && !url.startsWith(DatastoreConfig.Postgres.JDBC_PREFIX)) {
      urlNode.problem("must start with " + DatastoreConfig.Postgres.JDBC_PREFIX);
    }
    String usernameEnv = n.get("username_env").value(ValueType.ENV_VAR, null);
    String passwordEnv = n.get("password_env").value(ValueType.ENV_VAR, null);
    YamlNode passwordFileNode = n.get("password_file");
    Path passwordFile = passwordFileNode.value(ValueType.path(baseDir), null);
    if (n.get("password_env").isSet() && passwordFileNode.isSet()) {
      passwordFileNode.problem("set password_env or password_file, not both");
    }
    return n.build(
        () ->
            new DatastoreConfig.Postgres(
                url,
                Optional.ofNullable(usernameEnv),
                Optional.ofNullable(passwordEnv),
                Optional.ofNullable(passwordFile)));
  }

  private KeysConfig keys(YamlNode n) {
    KeysType type = n.get("type").value(ValueType.oneOf(KeysType.class), KeysType.FILE);
    if (type == null) {
      n.ignore("dir", "passphrase_env", "passphrase_file");
      return null;
    }
    if (type != KeysType.FILE) {
      n.forbid("only for type: file", "dir", "passphrase_env", "passphrase_file");
    }
    if (type == KeysType.MEMORY) {
      return n.build(KeysConfig.MemoryKeys::new);
    }
    if (type == KeysType.PKCS11) {
      return KeyBackendReader.pkcs11(n, baseDir);
    }
    if (type == KeysType.VAULT_TRANSIT) {
      return KeyBackendReader.vaultTransit(n, baseDir);
    }
    Path dir = n.get("dir").value(ValueType.path(dataDir), dataDir.resolve("keys"));
    String passphraseEnv = n.get("passphrase_env").value(ValueType.ENV_VAR, null);
    YamlNode passphraseFileNode = n.get("passphrase_file");
    Path passphraseFile = passphraseFileNode.value(ValueType.path(baseDir), null);
    if (n.get("passphrase_env").isSet() && passphraseFileNode.isSet()) {
      passphraseFileNode.problem("set passphrase_env or passphrase_file, not both");
    }
    return n.build(
        () ->
            new KeysConfig.FileKeys(
                dir, Optional.ofNullable(passphraseEnv), Optional.ofNullable(passphraseFile)));
  }

  private List<TrustDomainConfig> trustDomains(YamlNode n) {
    int problemsBefore = problems.size();
    List<TrustDomainConfig> trustDomains = n.nonEmptyList(this::trustDomain, null);
    // Membership checks against a list that had errors would only add noise.
    hostedComplete = problems.size() == problemsBefore;
    return trustDomains;
  }

  private TrustDomainConfig trustDomain(YamlNode element) {
    return element.object(
        n -> {
          YamlNode nameNode = n.get("name");
          TrustDomain name = nameNode.required(ValueType.TRUST_DOMAIN);
          if (name != null) {
            String first = hosted.putIfAbsent(name, nameNode.path());
            if (first != null) {
              nameNode.problem("duplicate trust domain " + name + " (also at " + first + ")");
            }
            if (name.name().endsWith(".")) {
              // A valid SPIFFE trust domain, but the JDK refuses a certificate whose critical URI
              // SAN has such a host, so no leaf of it could be issued (docs/spiffe-conformance.md).
              nameNode.problem(TRAILING_DOT);
            }
          }
          CaConfig ca = n.get("ca").object(this::ca);
          SvidConfig svid = n.get("svid").object(this::svid);
          if (ca != null && svid != null && !TrustDomainConfig.leavesFitIntermediate(ca, svid)) {
            n.problemAt(
                "svid.max_ttl",
                "must not be longer than the time an intermediate is active ("
                    + format(svid.maxTtl())
                    + " is longer than "
                    + (100 - ca.activateAtPercent())
                    + "% of ca.intermediate_ttl "
                    + format(ca.intermediateTtl())
                    + "): a leaf must never outlive the CA that signed it, and a CA signs from"
                    + " its activation (ca.activate_at_percent) to its expiry");
          }
          Duration refreshHint =
              n.get("bundle_refresh_hint")
                  .value(ValueType.DURATION_TYPE, TrustDomainConfig.DEFAULT_REFRESH_HINT);
          Optional<BundleEndpointSettings> endpoint =
              Optional.ofNullable(n.get("bundle_endpoint").object(this::bundleEndpoint));
          Optional<UpstreamConfig> upstream =
              Optional.ofNullable(n.get("upstream").object(u -> UpstreamReader.read(u, baseDir)));
          if (upstream.orElse(null) instanceof UpstreamConfig.VaultPki vault
              && vault.ttl().isPresent()
              && ca != null
              && svid != null
              && svid.maxTtl().compareTo(ca.afterActivation(vault.ttl().get())) > 0) {
            n.problemAt(
                "upstream.ttl",
                "is too short for svid.max_ttl "
                    + format(svid.maxTtl())
                    + ": a leaf must fit in the "
                    + (100 - ca.activateAtPercent())
                    + "% of an intermediate's lifetime after its activation");
          }
          return n.build(
              () -> new TrustDomainConfig(name, ca, svid, refreshHint, endpoint, upstream));
        });
  }

  /** Written as the SPIFFE Federation spec names the profiles. */
  private static final ValueType<BundleEndpointSettings.Profile> ENDPOINT_PROFILE =
      new ValueType<>(
          "https_spiffe or https_web",
          text ->
              switch (text) {
                case "https_spiffe" -> BundleEndpointSettings.Profile.HTTPS_SPIFFE;
                case "https_web" -> BundleEndpointSettings.Profile.HTTPS_WEB;
                default -> throw new IllegalArgumentException("must be https_spiffe or https_web");
              });

  private BundleEndpointSettings bundleEndpoint(YamlNode n) {
    if (!n.isSet()) {
      return null;
    }
    HostPort listen = n.get("listen").required(ValueType.HOST_PORT);
    BundleEndpointSettings.Profile profile =
        n.get("profile").value(ENDPOINT_PROFILE, BundleEndpointSettings.Profile.HTTPS_SPIFFE);
    Optional<Path> certificate =
        Optional.ofNullable(n.get("certificate_file").value(ValueType.path(baseDir), null));
    Optional<Path> key =
        Optional.ofNullable(n.get("key_file").value(ValueType.path(baseDir), null));
    if (profile == BundleEndpointSettings.Profile.HTTPS_WEB) {
      if (certificate.isEmpty()) {
        n.problemAt("certificate_file", "is required for profile https_web");
      }
      if (key.isEmpty()) {
        n.problemAt("key_file", "is required for profile https_web");
      }
    } else if (profile != null && (certificate.isPresent() || key.isPresent())) {
      n.problemAt(
          certificate.isPresent() ? "certificate_file" : "key_file",
          "only for profile https_web (https_spiffe serves this server's own SVID)");
    }
    return n.build(() -> new BundleEndpointSettings(listen, profile, certificate, key));
  }

  private static FederationConfig federation(YamlNode n) {
    if (!n.isSet()) {
      return FederationConfig.DEFAULTS;
    }
    Duration min =
        n.get("min_poll_interval")
            .value(ValueType.DURATION_TYPE, FederationConfig.DEFAULTS.minPollInterval());
    Duration max =
        n.get("max_poll_interval")
            .value(ValueType.DURATION_TYPE, FederationConfig.DEFAULTS.maxPollInterval());
    Duration fallback =
        n.get("default_poll_interval")
            .value(ValueType.DURATION_TYPE, FederationConfig.DEFAULTS.defaultPollInterval());
    checkNotLonger(n, "min_poll_interval", min, "max_poll_interval", max);
    return n.build(() -> new FederationConfig(min, max, fallback));
  }

  private CaConfig ca(YamlNode n) {
    KeyType keyType = n.get("key_type").value(ValueType.KEY_TYPE, CaConfig.DEFAULT_KEY_TYPE);
    Duration rootTtl = n.get("root_ttl").value(ValueType.DURATION_TYPE, CaConfig.DEFAULT_ROOT_TTL);
    Duration intermediateTtl =
        n.get("intermediate_ttl").value(ValueType.DURATION_TYPE, CaConfig.DEFAULT_INTERMEDIATE_TTL);
    String organization =
        n.get("organization").value(ValueType.STRING, CaConfig.DEFAULT_ORGANIZATION);
    Integer prepareAt = n.get("prepare_at_percent").integer(1, 98, CaConfig.DEFAULT_PREPARE_AT);
    Integer activateAt = n.get("activate_at_percent").integer(2, 99, CaConfig.DEFAULT_ACTIVATE_AT);
    if (prepareAt != null && activateAt != null && prepareAt >= activateAt) {
      n.problemAt(
          "activate_at_percent",
          "must be greater than prepare_at_percent ("
              + activateAt
              + " is not above "
              + prepareAt
              + "): a successor is published before it is activated");
    }
    if (rootTtl != null
        && intermediateTtl != null
        && activateAt != null
        && intermediateTtl.compareTo(rootTtl.multipliedBy(100 - activateAt).dividedBy(100)) > 0) {
      n.problemAt(
          "intermediate_ttl",
          "must not be longer than the time a root is active ("
              + format(intermediateTtl)
              + " is longer than "
              + (100 - activateAt)
              + "% of root_ttl "
              + format(rootTtl)
              + ")");
    }
    return n.build(
        () -> new CaConfig(keyType, rootTtl, intermediateTtl, organization, prepareAt, activateAt));
  }

  private SvidConfig svid(YamlNode n) {
    Duration defaultTtl =
        n.get("default_ttl").value(ValueType.DURATION_TYPE, SvidConfig.DEFAULT_DEFAULT_TTL);
    Duration maxTtl = n.get("max_ttl").value(ValueType.DURATION_TYPE, SvidConfig.DEFAULT_MAX_TTL);
    SvidConfig.TtlOverMax ttlOverMax =
        n.get("ttl_over_max")
            .value(ValueType.oneOf(SvidConfig.TtlOverMax.class), SvidConfig.TtlOverMax.REJECT);
    List<KeyType> allowedKeyTypes =
        n.get("allowed_key_types")
            .nonEmptyList(e -> e.required(ValueType.KEY_TYPE), List.of(KeyType.values()));
    Boolean verifyLeafSignatures = n.get("verify_leaf_signatures").bool(false);
    checkNotLonger(n, "default_ttl", defaultTtl, "max_ttl", maxTtl);
    return n.build(
        () ->
            new SvidConfig(
                defaultTtl, maxTtl, ttlOverMax, Set.copyOf(allowedKeyTypes), verifyLeafSignatures));
  }

  /** Reports {@code shortKey} if its duration exceeds {@code longKey}'s. */
  static void checkNotLonger(
      YamlNode n, String shortKey, Duration shortTtl, String longKey, Duration longTtl) {
    if (shortTtl != null && longTtl != null && shortTtl.compareTo(longTtl) > 0) {
      n.problemAt(
          shortKey,
          "must not be longer than "
              + longKey
              + " ("
              + format(shortTtl)
              + " is longer than "
              + format(longTtl)
              + ")");
    }
  }

  private AdminConfig admin(YamlNode n) {
    List<SpiffeId> ids =
        n.get("ids")
            .list(
                e -> {
                  // Only SVIDs of hosted trust domains can authenticate to this server.
                  SpiffeId id = e.required(ValueType.SPIFFE_ID);
                  return id != null && checkHosted(e, id.trustDomain()) ? id : null;
                },
                List.of());
    return n.build(() -> new AdminConfig(Set.copyOf(ids)));
  }

  /** Reports {@code n} unless {@code td} is one of trust_domains; true if it is (or unknown). */
  private boolean checkHosted(YamlNode n, TrustDomain td) {
    if (hostedComplete && !hosted.containsKey(td)) {
      n.problem("trust domain " + td + " is not one of trust_domains");
      return false;
    }
    return true;
  }
}
