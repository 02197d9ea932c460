package dev.trustbridge.ca.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.ca.cli.CliServer.Result;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code trustbridge federation ...} between two real servers over real HTTPS on loopback. */
class FederationCommandTest {
  @TempDir static Path dir;
  private static CliServer a;
  private static CliServer b;
  private static Path bundleOfB;

  @BeforeAll
  static void start() {
    a = CliServer.start(dir.resolve("a"), "a.example");
    b = CliServer.start(dir.resolve("b"), "b.example");
    bundleOfB = dir.resolve("b.json");
    Result export = b.admin("bundle", "export", "--out", bundleOfB.toString());
    assertEquals(0, export.exitCode(), export::toString);
  }

  @AfterAll
  static void stop() {
    a.close();
    b.close();
  }

  @AfterEach
  void deleteRelationships() {
    a.server.federation().delete(b.trustDomain);
  }

  private static Result createOnA(String url) {
    return a.admin(
        "federation",
        "create",
        "--trust-domain",
        "b.example",
        "--url",
        url,
        "--profile",
        "https_spiffe",
        "--endpoint-spiffe-id",
        b.endpointId(),
        "--bootstrap-bundle",
        bundleOfB.toString());
  }

  /** A loopback port nothing listens on. */
  private static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  @Test
  void createRefreshListShowDelete_betweenTwoServers_fetchesAndThenDropsThePeersBundle() {
    Result created = createOnA(b.bundleEndpointUrl());
    assertEquals(0, created.exitCode(), created::toString);
    assertTrue(
        created.out().contains("Created federation relationship with b.example"),
        created::toString);
    assertTrue(created.out().contains("Status               : not polled yet"), created::toString);

    Result refreshed = a.admin("federation", "refresh", "b.example");
    assertEquals(0, refreshed.exitCode(), refreshed::toString);
    assertTrue(refreshed.out().contains("Status               : healthy"), refreshed::toString);
    assertTrue(refreshed.out().contains("Has bundle           : yes"), refreshed::toString);
    assertEquals(
        b.server.authority(b.trustDomain).bundle().x509Authorities(),
        a.server.federation().bundle(b.trustDomain).orElseThrow().x509Authorities());

    Result list = a.admin("federation", "list");
    assertEquals(0, list.exitCode(), list::toString);
    String[] lines = list.out().split("\n");
    assertTrue(
        lines[0].matches(
            "TRUST DOMAIN +URL +PROFILE +LAST SUCCESS +LAST ERROR +SEQUENCE +NEXT POLL"),
        list::toString);
    assertTrue(
        lines[1].matches(
            "b\\.example +"
                + b.bundleEndpointUrl().replace(".", "\\.")
                + " +https_spiffe +\\d{4}-\\S+Z +- +1 +\\d{4}-\\S+Z"),
        list::toString);

    Result show = a.admin("federation", "show", "b.example");
    assertEquals(0, show.exitCode(), show::toString);
    assertTrue(
        show.out().contains("Endpoint SPIFFE ID   : spiffe://b.example/trustbridge/server"),
        show::toString);
    assertTrue(show.out().contains("Bootstrap bundle     : 1 X.509 authority"), show::toString);
    assertTrue(show.out().contains("Last error           : -"), show::toString);
    assertTrue(show.out().contains("Consecutive failures : 0"), show::toString);

    Result deleted = a.admin("federation", "delete", "b.example");
    assertEquals(0, deleted.exitCode(), deleted::toString);
    assertEquals("Deleted federation relationship with b.example\n", deleted.out());
    assertTrue(a.server.federation().bundle(b.trustDomain).isEmpty());
    assertEquals("No federation relationships.\n", a.admin("federation", "list").out());
  }

  @Test
  void refresh_whenThePeerIsUnreachable_exitsOneWithTheErrorAndPrintsTheState() throws Exception {
    assertEquals(0, createOnA("https://127.0.0.1:" + closedPort() + "/").exitCode());

    Result refreshed = a.admin("federation", "refresh", "b.example");

    assertEquals(1, refreshed.exitCode(), refreshed::toString);
    assertTrue(
        refreshed.err().startsWith("error: refresh of b.example failed: "), refreshed::toString);
    // Creating the relationship polls once already, so this is the first or the second failure.
    assertTrue(
        refreshed.out().matches("(?s).*Status +: failing \\([12] consecutive failed polls\\).*"),
        refreshed::toString);
    assertTrue(refreshed.out().contains("Has bundle           : no"), refreshed::toString);
  }

  @Test
  void update_withANewUrl_keepsTheOtherSettings_andTheNextRefreshSucceeds() throws Exception {
    assertEquals(0, createOnA("https://127.0.0.1:" + closedPort() + "/").exitCode());

    Result updated =
        a.admin(
            "federation", "update", "--trust-domain", "b.example", "--url", b.bundleEndpointUrl());

    assertEquals(0, updated.exitCode(), updated::toString);
    assertTrue(
        updated.out().contains("Bundle endpoint URL  : " + b.bundleEndpointUrl()),
        updated::toString);
    assertTrue(
        updated.out().contains("Endpoint SPIFFE ID   : " + b.endpointId()), updated::toString);
    assertEquals(0, a.admin("federation", "refresh", "b.example").exitCode());
  }

  @Test
  void update_ofAnUnknownTrustDomain_exitsThreeWithNotFound() {
    Result updated =
        a.admin("federation", "update", "--trust-domain", "c.example", "--url", "https://c/");

    assertEquals(3, updated.exitCode(), updated::toString);
    assertEquals("error: NOT_FOUND: no federation relationship with c.example\n", updated.err());
  }

  @Test
  void create_httpsSpiffeWithoutBootstrapBundle_isAUsageError() {
    Result created =
        a.admin(
            "federation",
            "create",
            "--trust-domain",
            "b.example",
            "--url",
            b.bundleEndpointUrl(),
            "--profile",
            "https_spiffe",
            "--endpoint-spiffe-id",
            b.endpointId());

    assertEquals(2, created.exitCode(), created::toString);
    assertTrue(
        created
            .err()
            .startsWith(
                "--profile https_spiffe needs --endpoint-spiffe-id and --bootstrap-bundle\n"),
        created::toString);
    assertTrue(a.server.federation().relationship(b.trustDomain).isEmpty());
  }

  @Test
  void create_withoutUrl_isAUsageError() {
    Result created =
        a.admin("federation", "create", "--trust-domain", "b.example", "--profile", "https_web");

    assertEquals(2, created.exitCode(), created::toString);
    assertTrue(created.err().startsWith("create needs --url and --profile\n"), created::toString);
  }

  @Test
  void create_httpsWebWithAnEndpointId_isAUsageError() {
    Result created =
        a.admin(
            "federation",
            "create",
            "--trust-domain",
            "b.example",
            "--url",
            b.bundleEndpointUrl(),
            "--profile",
            "https_web",
            "--endpoint-spiffe-id",
            b.endpointId());

    assertEquals(2, created.exitCode(), created::toString);
    assertTrue(
        created
            .err()
            .startsWith(
                "--endpoint-spiffe-id and --bootstrap-bundle are only for --profile https_spiffe\n"),
        created::toString);
  }

  @Test
  void create_withAMissingBootstrapFile_namesTheFile() {
    Path missing = dir.resolve("missing.json");
    Result created =
        a.admin(
            "federation",
            "create",
            "--trust-domain",
            "b.example",
            "--url",
            b.bundleEndpointUrl(),
            "--profile",
            "https_spiffe",
            "--endpoint-spiffe-id",
            b.endpointId(),
            "--bootstrap-bundle",
            missing.toString());

    assertEquals(2, created.exitCode(), created::toString);
    assertTrue(
        created.err().startsWith("--bootstrap-bundle: no such file: " + missing + "\n"),
        created::toString);
  }

  @Test
  void create_twice_exitsThreeWithAlreadyExists() {
    assertEquals(0, createOnA(b.bundleEndpointUrl()).exitCode());

    Result again = createOnA(b.bundleEndpointUrl());

    assertEquals(3, again.exitCode(), again::toString);
    assertTrue(again.err().startsWith("error: ALREADY_EXISTS"), again::toString);
  }

  @Test
  void create_withAHostedTrustDomain_isRejectedByTheServer() throws Exception {
    Path ownBundle = dir.resolve("a.json");
    Files.writeString(ownBundle, a.admin("bundle", "export").out());

    Result created =
        a.admin(
            "federation",
            "create",
            "--trust-domain",
            "a.example",
            "--url",
            a.bundleEndpointUrl(),
            "--profile",
            "https_spiffe",
            "--endpoint-spiffe-id",
            a.endpointId(),
            "--bootstrap-bundle",
            ownBundle.toString());

    assertEquals(3, created.exitCode(), created::toString);
    assertEquals(
        "error: INVALID_ARGUMENT: trust domain a.example is hosted here; federation is with other"
            + " trust domains\n",
        created.err());
  }

  @Test
  void show_ofAnUnknownTrustDomain_exitsThreeWithNotFound() {
    Result show = a.admin("federation", "show", "c.example");

    assertEquals(3, show.exitCode(), show::toString);
    assertEquals("error: NOT_FOUND: no federation relationship with c.example\n", show.err());
    assertEquals("", show.out());
  }

  @Test
  void delete_ofAnUnknownTrustDomain_exitsThreeWithNotFound() {
    Result deleted = a.admin("federation", "delete", "c.example");

    assertEquals(3, deleted.exitCode(), deleted::toString);
    assertEquals("error: NOT_FOUND: no federation relationship with c.example\n", deleted.err());
  }

  @Test
  void refresh_ofAnUnknownTrustDomain_exitsThreeWithNotFound() {
    Result refreshed = a.admin("federation", "refresh", "c.example");

    assertEquals(3, refreshed.exitCode(), refreshed::toString);
    assertEquals("error: NOT_FOUND: no federation relationship with c.example\n", refreshed.err());
    assertFalse(refreshed.out().contains("Status"));
  }
}
