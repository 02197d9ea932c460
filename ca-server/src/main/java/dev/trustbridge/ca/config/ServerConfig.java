package dev.trustbridge.ca.config;

import dev.trustbridge.spiffe.id.TrustDomain;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The whole, validated server configuration, read from a YAML file (see docs/configuration.md).
 * Relative paths in the file are resolved against the file's directory ({@code datastore.path} and
 * {@code keys.dir} against {@code data_dir}), so every path here is absolute.
 *
 * @param dataDir the directory for the database, keys and the admin credential
 * @param grpc the gRPC listener
 * @param metrics the metrics listener
 * @param log logging
 * @param datastore the datastore
 * @param keys where CA keys are kept
 * @param trustDomains the hosted trust domains, at least one, names unique, in file order
 * @param authn how callers authenticate
 * @param admin administrators
 */
public record ServerConfig(
    Path dataDir,
    GrpcConfig grpc,
    MetricsConfig metrics,
    LogConfig log,
    DatastoreConfig datastore,
    KeysConfig keys,
    List<TrustDomainConfig> trustDomains,
    AuthnConfig authn,
    AdminConfig admin,
    FederationConfig federation,
    Optional<Path> policyFile) {

  public ServerConfig {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(grpc, "grpc");
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(log, "log");
    Objects.requireNonNull(datastore, "datastore");
    Objects.requireNonNull(keys, "keys");
    trustDomains = List.copyOf(trustDomains);
    Objects.requireNonNull(authn, "authn");
    Objects.requireNonNull(admin, "admin");
    if (trustDomains.isEmpty()) {
      throw new IllegalArgumentException("at least one trust domain is required");
    }
    Set<TrustDomain> names = new HashSet<>();
    for (TrustDomainConfig td : trustDomains) {
      if (!names.add(td.name())) {
        throw new IllegalArgumentException("duplicate trust domain " + td.name());
      }
    }
    for (JwtIssuerConfig issuer : authn.jwtIssuers()) {
      if (!names.contains(issuer.trustDomain())) {
        throw new IllegalArgumentException(
            "JWT issuer "
                + issuer.name()
                + " maps to unknown trust domain "
                + issuer.trustDomain());
      }
    }
  }

  /**
   * Reads and validates a configuration file (UTF-8).
   *
   * @throws ConfigException if the file cannot be read or is invalid, listing every problem
   */
  public static ServerConfig load(Path file) {
    Objects.requireNonNull(file, "file");
    Path absolute = file.toAbsolutePath();
    String text;
    try {
      text = Files.readString(absolute, StandardCharsets.UTF_8);
    } catch (CharacterCodingException e) {
      throw new ConfigException(absolute + ": is not UTF-8 text");
    } catch (IOException e) {
      throw new ConfigException(absolute + ": cannot be read (" + e + ")");
    }
    return parse(text, absolute.getParent());
  }

  /**
   * Parses a duration written as in the configuration ({@code 90s}, {@code 15m}, {@code 24h},
   * {@code 7d}), for command-line options that take the same form.
   *
   * @throws IllegalArgumentException saying what shape is expected
   */
  public static Duration parseDuration(String text) {
    return ValueType.DURATION_TYPE.parser().apply(text);
  }

  /**
   * Parses and validates configuration text.
   *
   * @param yaml the YAML text
   * @param baseDir the directory relative paths are resolved against (a file's own directory)
   * @throws ConfigException listing every problem, one per line
   */
  public static ServerConfig parse(String yaml, Path baseDir) {
    Objects.requireNonNull(yaml, "yaml");
    Objects.requireNonNull(baseDir, "baseDir");
    return ConfigReader.read(YamlDocument.load(yaml), baseDir.toAbsolutePath().normalize());
  }

  /** The configuration of a hosted trust domain, or empty if this server does not host it. */
  public Optional<TrustDomainConfig> trustDomain(TrustDomain name) {
    Objects.requireNonNull(name, "name");
    return trustDomains.stream().filter(td -> td.name().equals(name)).findFirst();
  }
}
