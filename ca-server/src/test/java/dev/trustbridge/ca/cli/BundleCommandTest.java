package dev.trustbridge.ca.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.ca.cli.CliServer.Result;
import dev.trustbridge.spiffe.bundle.PemBundles;
import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import dev.trustbridge.spiffe.bundle.SpiffeBundleCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code trustbridge bundle show|export|import} against two real servers. */
class BundleCommandTest {
  @TempDir static Path dir;
  private static CliServer a;
  private static CliServer b;

  @BeforeAll
  static void start() {
    a = CliServer.start(dir.resolve("a"), "a.example");
    b = CliServer.start(dir.resolve("b"), "b.example");
  }

  @AfterAll
  static void stop() {
    a.close();
    b.close();
  }

  @AfterEach
  void forgetImports() {
    b.server.federation().delete(a.trustDomain);
  }

  private static SpiffeBundle bundleOfA() {
    return a.server.authority(a.trustDomain).bundle();
  }

  @Test
  void exportToAFile_thenImportOnThePeer_storesTheSameAuthorities() throws Exception {
    Path file = dir.resolve("a.json");

    Result exported = a.admin("bundle", "export", "--out", file.toString());
    assertEquals(0, exported.exitCode(), exported::toString);
    assertEquals("Wrote " + file + "\n", exported.out());
    assertEquals(bundleOfA(), SpiffeBundleCodec.parse(a.trustDomain, Files.readAllBytes(file)));

    Result imported = b.admin("bundle", "import", "--trust-domain", "a.example", file.toString());
    assertEquals(0, imported.exitCode(), imported::toString);
    assertEquals(
        "Imported the bundle of a.example: 1 X.509 authority, sequence "
            + bundleOfA().sequence().orElseThrow()
            + "\n",
        imported.out());
    assertEquals(
        bundleOfA().x509Authorities(),
        b.server.federation().bundle(a.trustDomain).orElseThrow().x509Authorities());
  }

  @Test
  void exportPem_thenImportThePemFile_storesTheSameAuthorities() throws Exception {
    Path file = dir.resolve("a.pem");
    assertEquals(
        0, a.admin("bundle", "export", "--format", "pem", "--out", file.toString()).exitCode());
    assertEquals(
        bundleOfA().x509Authorities(),
        PemBundles.readBundle(a.trustDomain, Files.readAllBytes(file)).x509Authorities());

    Result imported = b.admin("bundle", "import", "--trust-domain", "a.example", file.toString());

    assertEquals(0, imported.exitCode(), imported::toString);
    assertEquals(
        "Imported the bundle of a.example: 1 X.509 authority, sequence none\n", imported.out());
    assertEquals(
        bundleOfA().x509Authorities(),
        b.server.federation().bundle(a.trustDomain).orElseThrow().x509Authorities());
  }

  @Test
  void exportWithoutOut_printsTheSameDocumentAsShow() {
    Result exported = a.admin("bundle", "export");
    Result shown = a.admin("bundle", "show");

    assertEquals(0, exported.exitCode(), exported::toString);
    assertEquals(shown.out(), exported.out());
    assertEquals(
        bundleOfA(),
        SpiffeBundleCodec.parse(
            a.trustDomain, exported.out().strip().getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void export_ofATrustDomainNotHostedHere_exitsThree() {
    Result exported = a.admin("bundle", "export", "--trust-domain", "b.example");

    assertEquals(3, exported.exitCode(), exported::toString);
    assertTrue(exported.err().startsWith("error: "), exported::toString);
    assertEquals("", exported.out());
  }

  @Test
  void import_ofAFileThatIsNoBundle_exitsThreeWithInvalidArgument() throws Exception {
    Path file = dir.resolve("garbage.json");
    Files.writeString(file, "{\"keys\": 42}");

    Result imported = b.admin("bundle", "import", "--trust-domain", "a.example", file.toString());

    assertEquals(3, imported.exitCode(), imported::toString);
    assertTrue(imported.err().startsWith("error: INVALID_ARGUMENT: bundle: "), imported::toString);
    assertTrue(b.server.federation().bundle(a.trustDomain).isEmpty());
  }

  @Test
  void import_ofAMissingFile_isAUsageError() {
    Path missing = dir.resolve("missing.json");

    Result imported =
        b.admin("bundle", "import", "--trust-domain", "a.example", missing.toString());

    assertEquals(2, imported.exitCode(), imported::toString);
    assertTrue(
        imported.err().startsWith("FILE: no such file: " + missing + "\n"), imported::toString);
  }

  @Test
  void import_ofTheServersOwnTrustDomain_exitsThreeWithInvalidArgument() throws Exception {
    Path file = dir.resolve("b-own.json");
    assertEquals(0, b.admin("bundle", "export", "--out", file.toString()).exitCode());

    Result imported = b.admin("bundle", "import", "--trust-domain", "b.example", file.toString());

    assertEquals(3, imported.exitCode(), imported::toString);
    assertEquals(
        "error: INVALID_ARGUMENT: trust domain b.example is hosted here; federation is with other"
            + " trust domains\n",
        imported.err());
  }

  @Test
  void import_withoutTrustDomain_isAUsageError() throws Exception {
    Result imported = b.admin("bundle", "import", dir.resolve("x.json").toString());

    assertEquals(2, imported.exitCode(), imported::toString);
    assertTrue(
        imported.err().startsWith("Missing required option: '--trust-domain=TD'"),
        imported::toString);
  }

  @Test
  void import_thenMintForAGrantedWorkload_writesThePeersAnchorsToFederatedPem() throws Exception {
    Path file = dir.resolve("a-for-grant.json");
    assertEquals(0, a.admin("bundle", "export", "--out", file.toString()).exitCode());
    assertEquals(
        0, b.admin("bundle", "import", "--trust-domain", "a.example", file.toString()).exitCode());
    Path anchorsOfB = dir.resolve("b.pem");
    assertEquals(
        0,
        b.admin("bundle", "export", "--format", "pem", "--out", anchorsOfB.toString()).exitCode());
    String agent = "spiffe://b.example/agent/grant-node";
    String workload = "spiffe://b.example/ns/default/sa/granted";
    String token = b.admin("token", "create", "--spiffe-id", agent).out().strip();
    Result created =
        b.admin(
            "entry",
            "create",
            "--spiffe-id",
            workload,
            "--parent-id",
            agent,
            "--federates-with",
            "a.example");
    assertEquals(0, created.exitCode(), created::toString);
    String server = "127.0.0.1:" + b.server.grpcPort();
    Path agentDir = dir.resolve("grant-agent");
    Result agentMint =
        CliServer.cli(
            "x509",
            "mint",
            "--server",
            server,
            "--token",
            token,
            "--bundle",
            anchorsOfB.toString(),
            "--out",
            agentDir.toString());
    assertEquals(0, agentMint.exitCode(), agentMint::toString);
    assertEquals("", Files.readString(agentDir.resolve("federated.pem")));

    Path workloadDir = dir.resolve("grant-workload");
    Result workloadMint =
        CliServer.cli(
            "x509",
            "mint",
            "--server",
            server,
            "--cert",
            agentDir.resolve("svid.pem").toString(),
            "--key",
            agentDir.resolve("svid.key").toString(),
            "--spiffe-id",
            workload,
            "--bundle",
            anchorsOfB.toString(),
            "--out",
            workloadDir.toString());

    assertEquals(0, workloadMint.exitCode(), workloadMint::toString);
    assertTrue(workloadMint.out().contains("Federated: a.example\n"), workloadMint::toString);
    assertEquals(
        bundleOfA().x509Authorities(),
        PemBundles.readBundle(
                a.trustDomain, Files.readAllBytes(workloadDir.resolve("federated.pem")))
            .x509Authorities());
  }
}
