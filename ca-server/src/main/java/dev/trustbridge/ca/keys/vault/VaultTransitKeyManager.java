package dev.trustbridge.ca.keys.vault;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.keys.CaKey;
import dev.trustbridge.spiffe.keys.CryptoProviders;
import dev.trustbridge.spiffe.keys.KeyIds;
import dev.trustbridge.spiffe.keys.KeyManager;
import dev.trustbridge.spiffe.keys.KeyType;
import io.github.jopenlibs.vault.json.JsonObject;
import io.github.jopenlibs.vault.json.JsonValue;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link KeyManager} whose keys live in Vault's Transit secrets engine: they are generated there
 * (not exportable, no plaintext backup) and sign there; this process holds only public keys.
 *
 * <p>Key id {@code <id>} is Transit key {@code <prefix><id>} under the configured mount; {@link
 * #keyIds()} lists only keys with that prefix, so several trust domains or deployments can share
 * one mount. Vault names must end with a letter, digit or underscore, so ids ending in {@code .} or
 * {@code -} are refused with {@code INVALID_ARGUMENT} by this backend.
 *
 * <p><b>Version pinning.</b> A {@link CaKey} from {@link #generate} or {@link #find} is bound to
 * the key's latest version at that moment and always signs with {@code key_version} set to it. When
 * the key is rotated in Vault, CA certificates already issued keep naming the old public key, and
 * the old {@code CaKey} keeps signing with the matching version; a new {@code find} picks up the
 * new version.
 *
 * <p><b>Local verification.</b> Every signature Vault returns is verified against the pinned public
 * key before it is returned; one that does not verify is {@code INTERNAL}, so a misbehaving Vault
 * (or a key replaced under the same name) cannot produce a bad certificate.
 *
 * <p><b>Errors.</b> See {@link VaultSession}: Vault down, 403 or 5xx is {@code UNAVAILABLE}. A key
 * Vault no longer has (deleted, or its version trimmed) is {@code FAILED_PRECONDITION} on {@code
 * sign}. Every method blocks on Vault; never call it on an event-loop thread.
 *
 * <p>The manager does not own its {@link VaultSession}; {@link #close()} only stops this manager
 * (and its keys) from making further requests.
 */
public final class VaultTransitKeyManager implements KeyManager, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(VaultTransitKeyManager.class);
  private static final Pattern PREFIX = Pattern.compile("(\\w[\\w.-]*)?");

  /**
   * Where the keys are.
   *
   * @param mount the Transit mount path, e.g. {@code transit}
   * @param keyNamePrefix prepended to every key id to form the Vault key name, e.g. {@code
   *     trustbridge-}; empty for none
   */
  public record Settings(String mount, String keyNamePrefix) {
    public Settings {
      mount = VaultPaths.requireMount(mount, "Transit mount");
      Objects.requireNonNull(keyNamePrefix, "keyNamePrefix");
      if (keyNamePrefix.length() > 64 || !PREFIX.matcher(keyNamePrefix).matches()) {
        throw new IllegalArgumentException(
            "Transit key name prefix '"
                + keyNamePrefix
                + "' must be at most 64 characters from A-Z a-z 0-9 _ . - and start with a"
                + " letter, digit or underscore");
      }
    }

    /** Mount {@code transit}, prefix {@code trustbridge-}. */
    public static Settings defaults() {
      return new Settings("transit", "trustbridge-");
    }
  }

  private final VaultSession session;
  private final Settings settings;
  private final CryptoProviders providers;
  private final Map<String, Object> nameLocks = new ConcurrentHashMap<>();

  /** Bumped per Vault name on every delete, so keys handed out earlier refuse to sign. */
  private final Map<String, Long> incarnations = new ConcurrentHashMap<>();

  private final AtomicLong nextIncarnation = new AtomicLong();
  private volatile boolean closed;

  private VaultTransitKeyManager(
      VaultSession session, Settings settings, CryptoProviders providers) {
    this.session = session;
    this.settings = settings;
    this.providers = providers;
  }

  /** A manager over {@code session}, verifying signatures with {@link CryptoProviders#detect()}. */
  public static VaultTransitKeyManager create(VaultSession session, Settings settings) {
    return create(session, settings, CryptoProviders.detect());
  }

  /** A manager over {@code session}, verifying signatures with {@code providers}. */
  public static VaultTransitKeyManager create(
      VaultSession session, Settings settings, CryptoProviders providers) {
    return new VaultTransitKeyManager(
        Objects.requireNonNull(session, "session"),
        Objects.requireNonNull(settings, "settings"),
        Objects.requireNonNull(providers, "providers"));
  }

  /**
   * Creates the key in Vault ({@code POST <mount>/keys/<name>}, {@code exportable=false}, {@code
   * allow_plaintext_backup=false}) and returns it pinned to version 1.
   *
   * @throws TrustbridgeException {@code ALREADY_EXISTS} if Vault has a key of that name, {@code
   *     UNAVAILABLE} if Vault cannot be reached or denies the request
   */
  @Override
  public CaKey generate(String keyId, KeyType type) {
    String name = vaultName(keyId);
    Objects.requireNonNull(type, "type");
    requireOpen();
    TransitKeyType transitType = TransitKeyType.of(type);
    synchronized (nameLocks.computeIfAbsent(name, n -> new Object())) {
      if (session.read(path("keys/" + name)).ok()) {
        throw alreadyExists(keyId);
      }
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("type", transitType.vaultName());
      body.put("exportable", false);
      body.put("allow_plaintext_backup", false);
      VaultReply created = session.write(path("keys/" + name), body);
      if (!created.ok()) {
        throw new TrustbridgeException(
            ErrorCode.FAILED_PRECONDITION,
            "Vault refused to create key '"
                + keyId
                + "' (HTTP "
                + created.status()
                + ": "
                + created.errorText()
                + ")");
      }
      // Another replica may have created it between our check and our write: Vault then
      // keeps the existing key and only warns.
      if (created.warnings().stream().anyMatch(w -> w.contains("already existed"))) {
        throw alreadyExists(keyId);
      }
      VaultTransitKey key =
          load(keyId, name)
              .orElseThrow(
                  () ->
                      new TrustbridgeException(
                          ErrorCode.UNAVAILABLE,
                          "key '" + keyId + "' vanished from Vault right after it was created"));
      if (key.keyType() != type) {
        throw alreadyExists(keyId);
      }
      LOG.info(
          "created Vault Transit key id={} type={} vault={}", keyId, type, path("keys/" + name));
      return key;
    }
  }

  /** The key, pinned to its latest version, or empty if Vault has no key of that name. */
  @Override
  public Optional<CaKey> find(String keyId) {
    String name = vaultName(keyId);
    requireOpen();
    return load(keyId, name).map(key -> key);
  }

  @Override
  public List<String> keyIds() {
    requireOpen();
    VaultReply reply = session.list(path("keys"));
    if (reply.notFound()) {
      return List.of();
    }
    if (!reply.ok()) {
      throw new TrustbridgeException(
          ErrorCode.FAILED_PRECONDITION,
          "Vault refused to list "
              + path("keys")
              + " (HTTP "
              + reply.status()
              + ": "
              + reply.errorText()
              + ")");
    }
    List<String> ids = new ArrayList<>();
    JsonValue keys = reply.data().get("keys");
    if (keys != null && keys.isArray()) {
      for (JsonValue value : keys.asArray()) {
        if (value.isString() && value.asString().startsWith(settings.keyNamePrefix())) {
          String id = value.asString().substring(settings.keyNamePrefix().length());
          if (KeyIds.isValid(id)) {
            ids.add(id);
          }
        }
      }
    }
    Collections.sort(ids);
    return List.copyOf(ids);
  }

  /**
   * Deletes the key in Vault: sets {@code deletion_allowed=true} on its config (Vault refuses to
   * delete keys otherwise), then {@code DELETE <mount>/keys/<name>}. All versions are destroyed.
   */
  @Override
  public void delete(String keyId) {
    String name = vaultName(keyId);
    requireOpen();
    synchronized (nameLocks.computeIfAbsent(name, n -> new Object())) {
      if (session.read(path("keys/" + name)).notFound()) {
        incarnations.put(name, nextIncarnation.incrementAndGet());
        return;
      }
      VaultReply allowed =
          session.write(path("keys/" + name + "/config"), Map.of("deletion_allowed", true));
      if (!allowed.ok()) {
        throw new TrustbridgeException(
            ErrorCode.FAILED_PRECONDITION,
            "Vault refused to allow deletion of key '"
                + keyId
                + "' (HTTP "
                + allowed.status()
                + ": "
                + allowed.errorText()
                + ")");
      }
      VaultReply deleted = session.delete(path("keys/" + name));
      if (!deleted.ok() && !deleted.notFound()) {
        throw new TrustbridgeException(
            ErrorCode.FAILED_PRECONDITION,
            "Vault refused to delete key '" + keyId + "' (HTTP " + deleted.status() + ")");
      }
      incarnations.put(name, nextIncarnation.incrementAndGet());
      LOG.info("deleted Vault Transit key id={} vault={}", keyId, path("keys/" + name));
    }
  }

  /** The mount and key name prefix of this manager. */
  public Settings settings() {
    return settings;
  }

  /** Stops this manager and its keys from making requests; the session stays open. */
  @Override
  public void close() {
    closed = true;
  }

  @Override
  public String toString() {
    return "VaultTransitKeyManager[vault="
        + session.settings().baseAddress()
        + ", mount="
        + settings.mount()
        + ", prefix="
        + settings.keyNamePrefix()
        + "]";
  }

  // --- package-private, for VaultTransitKey -------------------------------------------------

  VaultSession session() {
    return session;
  }

  CryptoProviders providers() {
    return providers;
  }

  String path(String suffix) {
    return settings.mount() + "/" + suffix;
  }

  void requireSignable(VaultTransitKey key) {
    requireOpen();
    if (incarnations.getOrDefault(key.vaultName(), 0L) != key.incarnation()) {
      throw new TrustbridgeException(
          ErrorCode.FAILED_PRECONDITION, "key '" + key.id() + "' was deleted");
    }
  }

  // --- internals ----------------------------------------------------------------------------

  private void requireOpen() {
    if (closed) {
      throw new TrustbridgeException(
          ErrorCode.FAILED_PRECONDITION, "the Vault Transit key manager is closed");
    }
  }

  private String vaultName(String keyId) {
    KeyIds.requireValid(keyId);
    String name = settings.keyNamePrefix() + keyId;
    if (!VaultPaths.isValidName(name)) {
      throw TrustbridgeException.invalidArgument(
          "invalid key id '"
              + keyId
              + "' for Vault Transit: Vault key names must end with a letter, digit or '_'");
    }
    return name;
  }

  private static TrustbridgeException alreadyExists(String keyId) {
    return new TrustbridgeException(
        ErrorCode.ALREADY_EXISTS, "key '" + keyId + "' already exists in Vault");
  }

  /** Reads {@code <mount>/keys/<name>} and pins its latest version. */
  private Optional<VaultTransitKey> load(String keyId, String name) {
    long incarnation = incarnations.getOrDefault(name, 0L);
    VaultReply reply = session.read(path("keys/" + name));
    if (reply.notFound()) {
      return Optional.empty();
    }
    if (!reply.ok()) {
      throw new TrustbridgeException(
          ErrorCode.FAILED_PRECONDITION,
          "Vault refused to read key '"
              + keyId
              + "' (HTTP "
              + reply.status()
              + ": "
              + reply.errorText()
              + ")");
    }
    JsonObject data = reply.data();
    String vaultType = data.getString("type", "");
    TransitKeyType type =
        TransitKeyType.ofVaultName(vaultType)
            .orElseThrow(
                () ->
                    new TrustbridgeException(
                        ErrorCode.FAILED_PRECONDITION,
                        "Vault key '"
                            + keyId
                            + "' has type '"
                            + vaultType
                            + "', which Trustbridge cannot sign certificates with"));
    int version = data.getInt("latest_version", 0);
    JsonValue versions = data.get("keys");
    JsonValue entry =
        versions != null && versions.isObject()
            ? versions.asObject().get(Integer.toString(version))
            : null;
    if (version < 1 || entry == null || !entry.isObject()) {
      throw malformedKey(keyId, "no public key for its latest version " + version);
    }
    PublicKey publicKey = publicKey(keyId, type, entry.asObject().getString("public_key", ""));
    return Optional.of(
        new VaultTransitKey(this, keyId, name, type, version, publicKey, incarnation));
  }

  /** PEM SubjectPublicKeyInfo (ECDSA, RSA), or base64 of the raw 32-byte key (Ed25519). */
  private PublicKey publicKey(String keyId, TransitKeyType type, String text) {
    byte[] spki;
    String trimmed = text.trim();
    try {
      if (trimmed.startsWith("-----BEGIN PUBLIC KEY-----")
          && trimmed.endsWith("-----END PUBLIC KEY-----")) {
        String base64 =
            trimmed
                .substring(
                    "-----BEGIN PUBLIC KEY-----".length(),
                    trimmed.length() - "-----END PUBLIC KEY-----".length())
                .replaceAll("\\s", "");
        spki = Base64.getDecoder().decode(base64);
      } else if (type == TransitKeyType.ED25519) {
        byte[] raw = Base64.getDecoder().decode(trimmed);
        if (raw.length != 32) {
          throw malformedKey(keyId, "an Ed25519 public key of " + raw.length + " bytes");
        }
        spki = new byte[44];
        byte[] prefix = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
        System.arraycopy(prefix, 0, spki, 0, prefix.length);
        System.arraycopy(raw, 0, spki, prefix.length, raw.length);
      } else {
        throw malformedKey(keyId, "a public key that is not PEM");
      }
      PublicKey key =
          providers
              .keyFactory(type.keyType().jcaKeyAlgorithm())
              .generatePublic(new X509EncodedKeySpec(spki));
      if (KeyType.of(key).orElse(null) != type.keyType()) {
        throw malformedKey(keyId, "a public key that is not " + type.keyType());
      }
      return key;
    } catch (IllegalArgumentException | GeneralSecurityException e) {
      throw malformedKey(keyId, "a public key that cannot be decoded");
    }
  }

  private static TrustbridgeException malformedKey(String keyId, String what) {
    return new TrustbridgeException(
        ErrorCode.INTERNAL, "Vault returned " + what + " for key '" + keyId + "'");
  }
}
