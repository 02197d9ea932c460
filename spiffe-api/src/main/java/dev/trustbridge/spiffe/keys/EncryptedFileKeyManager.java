package dev.trustbridge.spiffe.keys;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link KeyManager} that keeps each key in its own passphrase-encrypted PKCS#8 PEM file ({@code
 * <keyId>.pem}, {@code -----BEGIN ENCRYPTED PRIVATE KEY-----}: PBES2 with PBKDF2-HMAC-SHA256 and
 * AES-256-CBC, readable by {@code openssl pkey}). The development default; production roots belong
 * in an HSM or Vault.
 *
 * <p>The directory is created with mode 0700 and each key file is created with mode 0600, written
 * to a temporary file in the same directory, forced to disk and then published under its final name
 * in one atomic step, so a crash never leaves a half-written or readable key. A key is decrypted
 * once, when first used, and then held in memory; the key type is derived from the key.
 *
 * <p>One process owns a directory: keys deleted or added by another process are not noticed once
 * cached. Thread safe.
 */
public final class EncryptedFileKeyManager implements KeyManager, AutoCloseable {
  /** PBKDF2 iterations used unless configured otherwise (OWASP's 2023 advice for HMAC-SHA256). */
  public static final int DEFAULT_PBKDF2_ITERATIONS = 600_000;

  /** The fewest PBKDF2 iterations accepted. */
  public static final int MIN_PBKDF2_ITERATIONS = 100_000;

  static final String SUFFIX = ".pem";
  private static final long MAX_FILE_BYTES = 64 * 1024;
  private static final Set<PosixFilePermission> OWNER_ONLY_FILE =
      PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> OWNER_ONLY_DIR =
      PosixFilePermissions.fromString("rwx------");
  private static final System.Logger LOG =
      System.getLogger(EncryptedFileKeyManager.class.getName());

  private final Path directory;
  private final CryptoProviders providers;
  private final int iterations;
  private final SecureRandom random = new SecureRandom();
  private final Object lock = new Object();
  private final Map<String, SoftwareCaKey> cache = new ConcurrentHashMap<>();
  private char[] passphrase; // guarded by lock; null once closed

  private EncryptedFileKeyManager(
      Path directory, char[] passphrase, CryptoProviders providers, int iterations) {
    this.directory = directory;
    this.passphrase = passphrase;
    this.providers = providers;
    this.iterations = iterations;
  }

  /**
   * Opens (creating it with mode 0700 if needed) a key directory with {@link
   * CryptoProviders#detect()} and {@link #DEFAULT_PBKDF2_ITERATIONS}. The passphrase is copied; the
   * caller may wipe its array afterwards.
   *
   * @throws TrustbridgeException FAILED_PRECONDITION if the directory is accessible by group or
   *     others or is not a directory, INVALID_ARGUMENT for an empty passphrase, UNAVAILABLE on I/O
   *     failure
   */
  public static EncryptedFileKeyManager open(Path directory, char[] passphrase) {
    return builder(directory, passphrase).open();
  }

  /** A builder for a manager of {@code directory}; see {@link #open(Path, char[])}. */
  public static Builder builder(Path directory, char[] passphrase) {
    return new Builder(directory, passphrase);
  }

  /**
   * The passphrase in environment variable {@code variable}.
   *
   * @throws TrustbridgeException FAILED_PRECONDITION if the variable is unset or empty
   */
  public static char[] passphraseFromEnv(String variable) {
    return Passphrases.fromEnv(variable, System::getenv);
  }

  /**
   * The passphrase in a file (UTF-8, one trailing line break ignored). The file must not be
   * accessible by group or others.
   *
   * @throws TrustbridgeException FAILED_PRECONDITION if the file is missing, empty, not UTF-8, or
   *     accessible by group or others; UNAVAILABLE if it cannot be read
   */
  public static char[] passphraseFromFile(Path file) {
    return Passphrases.fromFile(file);
  }

  /** The directory the key files live in. */
  public Path directory() {
    return directory;
  }

  @Override
  public CaKey generate(String keyId, KeyType type) {
    KeyIds.requireValid(keyId);
    Objects.requireNonNull(type, "type");
    Path file = fileOf(keyId);
    synchronized (lock) {
      char[] secret = requireOpen();
      if (cache.containsKey(keyId) || Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
        throw alreadyExists(keyId);
      }
      KeyPair pair = providers.keyPairGenerator(type).generateKeyPair();
      writeAtomically(
          keyId,
          file,
          EncryptedKeyFile.encrypt(
              keyId, pair.getPrivate(), secret, iterations, random, providers));
      SoftwareCaKey key =
          new SoftwareCaKey(keyId, type, pair.getPublic(), pair.getPrivate(), providers);
      cache.put(keyId, key);
      return key;
    }
  }

  @Override
  public Optional<CaKey> find(String keyId) {
    KeyIds.requireValid(keyId);
    SoftwareCaKey cached = cache.get(keyId);
    if (cached != null) {
      return Optional.of(cached);
    }
    Path file = fileOf(keyId);
    synchronized (lock) {
      char[] secret = requireOpen();
      cached = cache.get(keyId);
      if (cached != null) {
        return Optional.of(cached);
      }
      byte[] content = read(keyId, file);
      if (content == null) {
        return Optional.empty();
      }
      SoftwareCaKey key = EncryptedKeyFile.decrypt(keyId, content, secret, providers);
      cache.put(keyId, key);
      return Optional.of(key);
    }
  }

  @Override
  public List<String> keyIds() {
    List<String> ids = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory, "*" + SUFFIX)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        String id = name.substring(0, name.length() - SUFFIX.length());
        if (KeyIds.isValid(id) && Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
          ids.add(id);
        }
      }
    } catch (IOException e) {
      throw TrustbridgeException.unavailable("cannot list key directory " + directory, e);
    }
    ids.sort(null);
    return ids;
  }

  @Override
  public void delete(String keyId) {
    KeyIds.requireValid(keyId);
    synchronized (lock) {
      requireOpen();
      try {
        if (Files.deleteIfExists(fileOf(keyId))) {
          forceDirectory();
        }
      } catch (IOException e) {
        throw TrustbridgeException.unavailable("cannot delete key '" + keyId + "'", e);
      }
      SoftwareCaKey removed = cache.remove(keyId);
      if (removed != null) {
        removed.destroy();
      }
    }
  }

  /**
   * Wipes this manager's copy of the passphrase and forgets all decrypted keys; keys handed out
   * before stop signing. Later calls fail with FAILED_PRECONDITION.
   */
  @Override
  public void close() {
    synchronized (lock) {
      if (passphrase != null) {
        Arrays.fill(passphrase, '\0');
        passphrase = null;
      }
      cache.values().forEach(SoftwareCaKey::destroy);
      cache.clear();
    }
  }

  @Override
  public String toString() {
    return "EncryptedFileKeyManager[directory="
        + directory
        + ", decryptedKeys="
        + cache.size()
        + ", pbkdf2Iterations="
        + iterations
        + "]";
  }

  private Path fileOf(String keyId) {
    return directory.resolve(keyId + SUFFIX);
  }

  private char[] requireOpen() {
    if (passphrase == null) {
      throw new TrustbridgeException(
          ErrorCode.FAILED_PRECONDITION, "key manager for " + directory + " is closed");
    }
    return passphrase;
  }

  /**
   * Creates the file from nothing to complete in one step: write a 0600 temporary file in the same
   * directory, force it to disk, publish it under the final name, force the directory.
   */
  private void writeAtomically(String keyId, Path file, byte[] content) {
    Path temp = directory.resolve("." + keyId + "." + HexFormat.of().formatHex(nonce()) + ".tmp");
    try {
      try (FileChannel channel =
          FileChannel.open(
              temp,
              Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
              ownerOnly(OWNER_ONLY_FILE))) {
        ByteBuffer buffer = ByteBuffer.wrap(content);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
        channel.force(true);
      }
      publish(keyId, temp, file);
      forceDirectory();
    } catch (IOException e) {
      throw TrustbridgeException.unavailable("cannot write key '" + keyId + "'", e);
    } finally {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException e) {
        LOG.log(Level.WARNING, "cannot remove temporary key file {0}: {1}", temp, e.toString());
      }
    }
  }

  /**
   * A hard link publishes atomically and, unlike a rename, never replaces an existing key, even one
   * another process has just written. Where the file system has no hard links, fall back to an
   * atomic rename (the existence check under {@link #lock} covers this process).
   */
  private static void publish(String keyId, Path temp, Path file) throws IOException {
    try {
      Files.createLink(file, temp);
    } catch (FileAlreadyExistsException e) {
      throw alreadyExists(keyId);
    } catch (UnsupportedOperationException | IOException noHardLinks) {
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
    }
  }

  /** Makes the directory entry durable; not every platform can open a directory, so best effort. */
  private void forceDirectory() {
    try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      LOG.log(Level.DEBUG, "cannot fsync directory {0}: {1}", directory, e.toString());
    }
  }

  private byte[] read(String keyId, Path file) {
    try {
      if (Files.size(file) > MAX_FILE_BYTES) {
        throw new TrustbridgeException(
            ErrorCode.FAILED_PRECONDITION,
            "key file of key '" + keyId + "' is too large to be a key: corrupt or replaced");
      }
      if (Passphrases.accessibleByOthers(file)) {
        LOG.log(
            Level.WARNING,
            "key file {0} is accessible by group or others; run chmod 600 on it",
            file);
      }
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw TrustbridgeException.unavailable("cannot read key '" + keyId + "'", e);
    }
  }

  private byte[] nonce() {
    byte[] bytes = new byte[8];
    random.nextBytes(bytes);
    return bytes;
  }

  private static FileAttribute<?>[] ownerOnly(Set<PosixFilePermission> permissions) {
    return Passphrases.posix()
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(permissions)}
        : new FileAttribute<?>[0];
  }

  private static TrustbridgeException alreadyExists(String keyId) {
    return new TrustbridgeException(ErrorCode.ALREADY_EXISTS, "key '" + keyId + "' exists already");
  }

  /** Options for {@link EncryptedFileKeyManager}; {@link #open()} validates and opens. */
  public static final class Builder {
    private final Path directory;
    private final char[] passphrase;
    private CryptoProviders providers;
    private int iterations = DEFAULT_PBKDF2_ITERATIONS;
    private boolean opened;

    private Builder(Path directory, char[] passphrase) {
      this.directory = Objects.requireNonNull(directory, "directory").toAbsolutePath().normalize();
      this.passphrase = Objects.requireNonNull(passphrase, "passphrase").clone();
    }

    /** The providers to generate and sign with; {@link CryptoProviders#detect()} by default. */
    public Builder providers(CryptoProviders providers) {
      this.providers = Objects.requireNonNull(providers, "providers");
      return this;
    }

    /**
     * PBKDF2 iterations for newly written keys (at least {@link #MIN_PBKDF2_ITERATIONS}). Reading
     * uses whatever count a file names.
     */
    public Builder pbkdf2Iterations(int iterations) {
      if (iterations < MIN_PBKDF2_ITERATIONS) {
        throw TrustbridgeException.invalidArgument(
            "PBKDF2 iterations must be at least " + MIN_PBKDF2_ITERATIONS + ", not " + iterations);
      }
      this.iterations = iterations;
      return this;
    }

    /**
     * Creates the directory if needed (mode 0700) and returns the manager. The builder's copy of
     * the passphrase moves into the manager, so a builder opens once.
     */
    public EncryptedFileKeyManager open() {
      if (opened) {
        throw new IllegalStateException("this builder has opened its manager already");
      }
      if (passphrase.length == 0) {
        throw TrustbridgeException.invalidArgument("the key passphrase is empty");
      }
      prepareDirectory();
      removeStaleTemporaryFiles();
      opened = true;
      return new EncryptedFileKeyManager(
          directory,
          passphrase,
          providers != null ? providers : CryptoProviders.detect(),
          iterations);
    }

    private void prepareDirectory() {
      try {
        if (!Files.exists(directory, LinkOption.NOFOLLOW_LINKS)) {
          Files.createDirectories(directory, ownerOnly(OWNER_ONLY_DIR));
        }
        if (!Files.isDirectory(directory)) {
          throw new TrustbridgeException(
              ErrorCode.FAILED_PRECONDITION, "key directory " + directory + " is not a directory");
        }
        if (Passphrases.accessibleByOthers(directory)) {
          throw new TrustbridgeException(
              ErrorCode.FAILED_PRECONDITION,
              "key directory "
                  + directory
                  + " is accessible by group or others (mode "
                  + Passphrases.mode(directory)
                  + "); run chmod 700 on it");
        }
      } catch (IOException e) {
        throw TrustbridgeException.unavailable("cannot create key directory " + directory, e);
      }
    }

    /** Temporary files are left only by a crash between write and publish; they are useless. */
    private void removeStaleTemporaryFiles() {
      try (DirectoryStream<Path> stale = Files.newDirectoryStream(directory, ".*.tmp")) {
        for (Path temp : stale) {
          LOG.log(Level.WARNING, "removing temporary key file {0} left by a crash", temp);
          Files.deleteIfExists(temp);
        }
      } catch (IOException e) {
        throw TrustbridgeException.unavailable("cannot clean key directory " + directory, e);
      }
    }
  }
}
