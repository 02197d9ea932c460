package dev.trustbridge.ca.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.trustbridge.ca.authority.AuthorityKind;
import dev.trustbridge.ca.authority.AuthorityMark;
import dev.trustbridge.ca.authority.AuthorityRecord;
import dev.trustbridge.ca.authority.AuthorityState;
import dev.trustbridge.ca.store.JdbcDatastore;
import dev.trustbridge.proto.admin.v1.Authority;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.keys.CaKey;
import dev.trustbridge.spiffe.keys.EncryptedFileKeyManager;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/** What must hold after any crash: of the journal as admins see it, and of the files on disk. */
final class JournalInvariants {
  static final TrustDomain TD = TrustDomain.parse(ServerProcess.TRUST_DOMAIN);
  private static final String KEY_PEM = "-----BEGIN ENCRYPTED PRIVATE KEY-----";

  private JournalInvariants() {}

  /**
   * One active root; one active, untainted intermediate that the active root issued; at most one
   * untainted prepared CA of each kind, a prepared intermediate under the active root; every
   * prepared or active root published; every id an RPC acknowledged still there.
   */
  static void checkJournal(List<Authority> journal, Collection<String> acknowledged) {
    String shown = "\njournal:\n" + describe(journal);
    List<Authority> activeRoots = find(journal, "root", "active");
    assertEquals(1, activeRoots.size(), "active roots" + shown);
    Authority root = activeRoots.get(0);
    List<Authority> activeIntermediates = find(journal, "intermediate", "active");
    assertEquals(1, activeIntermediates.size(), "active intermediates" + shown);
    Authority intermediate = activeIntermediates.get(0);
    assertEquals(
        root.getId(), intermediate.getIssuerId(), "issuer of the active intermediate" + shown);
    assertTrue(!intermediate.getTainted(), "the active intermediate is tainted" + shown);
    List<Authority> preparedRoots =
        find(journal, "root", "prepared").stream().filter(a -> !a.getTainted()).toList();
    assertTrue(preparedRoots.size() <= 1, "untainted prepared roots" + shown);
    List<Authority> preparedIntermediates =
        find(journal, "intermediate", "prepared").stream().filter(a -> !a.getTainted()).toList();
    assertTrue(preparedIntermediates.size() <= 1, "untainted prepared intermediates" + shown);
    preparedIntermediates.forEach(
        p ->
            assertEquals(
                root.getId(), p.getIssuerId(), "issuer of a prepared intermediate" + shown));
    for (Authority a : journal) {
      if (a.getKind().equals("root") && !a.getState().equals("old") && !a.getRevoked()) {
        assertTrue(a.getInBundle(), a.getId() + " is " + a.getState() + " but unpublished" + shown);
      }
    }
    Map<String, Authority> byId =
        journal.stream().collect(Collectors.toMap(Authority::getId, Function.identity()));
    for (String id : acknowledged) {
      assertTrue(byId.containsKey(id), "acknowledged authority " + id + " is gone" + shown);
    }
  }

  /** The published roots are exactly the journal's roots marked in_bundle. */
  static void checkBundleMatchesJournal(List<Authority> journal, List<X509Certificate> bundle) {
    List<String> published =
        journal.stream()
            .filter(a -> a.getKind().equals("root") && a.getInBundle())
            .map(Authority::getSerial)
            .sorted()
            .toList();
    List<String> inBundle =
        bundle.stream().map(c -> c.getSerialNumber().toString(16)).sorted().toList();
    assertEquals(published, inBundle, "bundle roots vs journal\njournal:\n" + describe(journal));
  }

  /**
   * Reads the journal straight from the datastore file (the server must be stopped) and checks that
   * every record's key file is there and that every intermediate's issuer is in the journal and
   * signed it: a half-done step may be visible here, a lost key or a dangling record may not.
   *
   * @return the records, and what a kill left behind that no record names
   */
  static DiskState checkKeysOnDisk(Path dataDir) throws IOException {
    List<AuthorityRecord> records;
    Map<String, AuthorityMark> marks;
    try (JdbcDatastore store = JdbcDatastore.openSqlite(dataDir.resolve("trustbridge.db"))) {
      records = store.authorities().list(TD);
      marks = store.authorities().marks(TD);
    }
    Path keys = dataDir.resolve("keys");
    Map<String, AuthorityRecord> byId =
        records.stream().collect(Collectors.toMap(AuthorityRecord::id, Function.identity()));
    for (AuthorityRecord r : records) {
      Path file = keys.resolve(r.keyId() + ".pem");
      assertTrue(Files.isRegularFile(file), "key of " + r + " is lost: no " + file);
      String pem = Files.readString(file, StandardCharsets.US_ASCII);
      assertTrue(pem.startsWith(KEY_PEM), "key file " + file + " is not an encrypted PEM key");
      if (r.kind() == AuthorityKind.INTERMEDIATE) {
        AuthorityRecord issuer =
            Optional.ofNullable(byId.get(r.issuerId().orElse("")))
                .orElseThrow(() -> new AssertionError("issuer of " + r + " is not in the journal"));
        try {
          certificate(r.certificateDer())
              .verify(certificate(issuer.certificateDer()).getPublicKey());
        } catch (GeneralSecurityException e) {
          fail(r + " was not signed by its issuer " + issuer.id(), e);
        }
      }
    }
    Set<String> named = records.stream().map(r -> r.keyId() + ".pem").collect(Collectors.toSet());
    List<String> unnamed = new ArrayList<>();
    List<String> temporary = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(keys)) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        if (name.endsWith(".tmp")) {
          temporary.add(name);
        } else if (name.endsWith(".pem") && !named.contains(name)) {
          unnamed.add(name);
        }
      }
    }
    return new DiskState(records, unnamed, temporary, halfDone(records, marks));
  }

  /** What the restart has to repair: the kill came in the middle of a rotation. */
  private static List<String> halfDone(
      List<AuthorityRecord> records, Map<String, AuthorityMark> marks) {
    List<String> found = new ArrayList<>();
    List<AuthorityRecord> roots = stored(records, AuthorityKind.ROOT, AuthorityState.ACTIVE);
    List<AuthorityRecord> intermediates =
        stored(records, AuthorityKind.INTERMEDIATE, AuthorityState.ACTIVE);
    if (roots.size() != 1) {
      found.add(roots.size() + " active roots");
    }
    if (intermediates.size() != 1) {
      found.add(intermediates.size() + " active intermediates");
    }
    for (AuthorityRecord i : intermediates) {
      if (roots.stream().noneMatch(r -> i.issuerId().equals(Optional.of(r.id())))) {
        found.add("active intermediate under an old root");
      }
      if (Optional.ofNullable(marks.get(i.id())).map(AuthorityMark::tainted).orElse(false)) {
        found.add("tainted active intermediate");
      }
    }
    return found;
  }

  private static List<AuthorityRecord> stored(
      List<AuthorityRecord> records, AuthorityKind kind, AuthorityState state) {
    return records.stream().filter(r -> r.kind() == kind && r.state() == state).toList();
  }

  /**
   * The journal as stored, key files no record names (the kill came between a key and its record:
   * harmless), temporary files of key writes the kill cut short, and the half-done rotation steps
   * that the restart must repair.
   */
  record DiskState(
      List<AuthorityRecord> records,
      List<String> orphanKeys,
      List<String> temporaryFiles,
      List<String> halfDone) {}

  /**
   * Decrypts every key the journal names (the server must be stopped) and checks that it signs for
   * its CA's certificate: the key on disk is the key the certificate was issued for.
   */
  static void checkKeysMatchCertificates(Path dataDir, List<AuthorityRecord> records)
      throws GeneralSecurityException {
    Path keys = dataDir.resolve("keys");
    char[] passphrase = EncryptedFileKeyManager.passphraseFromFile(keys.resolve(".passphrase"));
    try (EncryptedFileKeyManager manager = EncryptedFileKeyManager.open(keys, passphrase)) {
      byte[] message = "crash-safety".getBytes(StandardCharsets.US_ASCII);
      for (AuthorityRecord r : records) {
        CaKey key =
            manager
                .find(r.keyId())
                .orElseThrow(() -> new AssertionError("key of " + r + " cannot be found"));
        Signature verifier = Signature.getInstance(key.keyType().jcaSignatureAlgorithm());
        verifier.initVerify(certificate(r.certificateDer()).getPublicKey());
        verifier.update(message);
        assertTrue(verifier.verify(key.sign(message)), "key of " + r + " does not match its CA");
      }
    } finally {
      Arrays.fill(passphrase, '\0');
    }
  }

  static List<Authority> find(List<Authority> journal, String kind, String state) {
    return journal.stream()
        .filter(a -> a.getKind().equals(kind) && a.getState().equals(state))
        .toList();
  }

  static String describe(List<Authority> journal) {
    return journal.stream()
        .map(
            a ->
                String.format(
                    "  %s %s %s issuer=%s tainted=%s in_bundle=%s",
                    a.getId(),
                    a.getKind(),
                    a.getState(),
                    a.getIssuerId(),
                    a.getTainted(),
                    a.getInBundle()))
        .collect(Collectors.joining("\n"));
  }

  static X509Certificate certificate(byte[] der) {
    try {
      return (X509Certificate)
          CertificateFactory.getInstance("X.509")
              .generateCertificate(new ByteArrayInputStream(der));
    } catch (GeneralSecurityException e) {
      throw new AssertionError("not a certificate", e);
    }
  }
}
