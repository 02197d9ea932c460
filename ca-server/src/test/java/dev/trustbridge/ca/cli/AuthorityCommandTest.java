package dev.trustbridge.ca.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.ca.authority.AuthorityKind;
import dev.trustbridge.ca.authority.AuthorityState;
import dev.trustbridge.ca.authority.TrustDomainAuthority;
import dev.trustbridge.ca.authority.TrustDomainAuthority.AuthorityInfo;
import dev.trustbridge.ca.cli.CliServer.Result;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code trustbridge authority ...} against a real server, one fresh journal per test. */
class AuthorityCommandTest {
  @TempDir Path dir;
  private CliServer server;

  @BeforeEach
  void start() {
    server = CliServer.start(dir, "a.example");
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private TrustDomainAuthority authority() {
    return server.server.authority(server.trustDomain);
  }

  private String idOf(AuthorityKind kind, AuthorityState state) {
    return authority().list().stream()
        .map(AuthorityInfo::record)
        .filter(r -> r.kind() == kind && r.state() == state)
        .reduce((first, second) -> second)
        .orElseThrow()
        .id();
  }

  private List<X509Certificate> bundleRoots() {
    return authority().bundle().x509Authorities();
  }

  @Test
  void list_afterFirstStart_showsTheActiveRootAndIntermediate() {
    Result list = server.admin("authority", "list");

    assertEquals(0, list.exitCode(), list::toString);
    String[] lines = list.out().split("\n");
    assertEquals(3, lines.length, list::toString);
    assertTrue(
        lines[0].matches("ID +KIND +STATE +NOT AFTER +TAINTED +REVOKED +IN BUNDLE +ISSUER"),
        list::toString);
    String root = idOf(AuthorityKind.ROOT, AuthorityState.ACTIVE);
    assertTrue(
        lines[1].matches(root + " +root +active +\\d{4}-\\S+Z +no +no +yes +-"), list::toString);
    assertTrue(
        lines[2].matches("\\S+ +intermediate +active +\\d{4}-\\S+Z +no +no +- +" + root),
        list::toString);
  }

  @Test
  void list_ofATrustDomainNotHostedHere_exitsThreeWithNotFound() {
    Result list = server.admin("authority", "list", "--trust-domain", "b.example");

    assertEquals(3, list.exitCode(), list::toString);
    assertEquals("error: NOT_FOUND: trust domain b.example is not hosted here\n", list.err());
  }

  @Test
  void rootRotation_prepareActivateForceTaintRevoke_dropsTheOldRootFromTheBundle() {
    String oldRoot = idOf(AuthorityKind.ROOT, AuthorityState.ACTIVE);

    Result prepared = server.admin("authority", "prepare", "root");
    assertEquals(0, prepared.exitCode(), prepared::toString);
    assertTrue(prepared.out().startsWith("Prepared root a.example-root-"), prepared::toString);
    assertTrue(prepared.out().contains("State       : prepared"), prepared::toString);
    assertTrue(prepared.out().contains("In bundle   : yes"), prepared::toString);
    assertEquals(2, bundleRoots().size());

    Result tooEarly = server.admin("authority", "activate", "root");
    assertEquals(3, tooEarly.exitCode(), tooEarly::toString);
    assertTrue(
        tooEarly
            .err()
            .startsWith("error: FAILED_PRECONDITION: the prepared root has been published for "),
        tooEarly::toString);

    Result activated = server.admin("authority", "activate", "root", "--force");
    assertEquals(0, activated.exitCode(), activated::toString);
    assertTrue(activated.out().contains("State       : active"), activated::toString);
    String newRoot = idOf(AuthorityKind.ROOT, AuthorityState.ACTIVE);
    assertNotEquals(oldRoot, newRoot);
    assertEquals(2, bundleRoots().size(), "the old root stays while its intermediate lives");

    Result tainted = server.admin("authority", "taint", oldRoot);
    assertEquals(0, tainted.exitCode(), tainted::toString);
    assertTrue(tainted.out().contains("Tainted     : yes"), tainted::toString);
    assertEquals(2, bundleRoots().size(), "taint alone removes nothing from the bundle");

    Result revoked = server.admin("authority", "revoke", oldRoot);
    assertEquals(0, revoked.exitCode(), revoked::toString);
    assertTrue(revoked.out().startsWith("Revoked root " + oldRoot), revoked::toString);
    assertTrue(revoked.out().contains("Revoked     : yes"), revoked::toString);
    assertTrue(revoked.out().contains("In bundle   : no"), revoked::toString);
    assertEquals(1, bundleRoots().size());
    assertEquals(
        authority().list().stream()
            .filter(i -> i.record().id().equals(newRoot))
            .findFirst()
            .orElseThrow()
            .certificate(),
        bundleRoots().get(0));
  }

  @Test
  void intermediateRotation_prepareThenActivate_switchesTheSigningCa() {
    String before = idOf(AuthorityKind.INTERMEDIATE, AuthorityState.ACTIVE);

    Result prepared = server.admin("authority", "prepare", "intermediate");
    assertEquals(0, prepared.exitCode(), prepared::toString);
    assertTrue(prepared.out().contains("In bundle   : no"), prepared::toString);
    Result activated = server.admin("authority", "activate", "intermediate");

    assertEquals(0, activated.exitCode(), activated::toString);
    String after = idOf(AuthorityKind.INTERMEDIATE, AuthorityState.ACTIVE);
    assertNotEquals(before, after);
    assertTrue(activated.out().startsWith("Activated intermediate " + after), activated::toString);
    assertEquals(
        authority().list().stream()
            .filter(i -> i.record().id().equals(after))
            .findFirst()
            .orElseThrow()
            .certificate(),
        authority().signer().ca().certificate());
  }

  @Test
  void taint_ofTheActiveIntermediate_replacesItAtOnce() {
    String before = idOf(AuthorityKind.INTERMEDIATE, AuthorityState.ACTIVE);

    Result tainted = server.admin("authority", "taint", before);

    assertEquals(0, tainted.exitCode(), tainted::toString);
    assertTrue(tainted.out().contains("State       : old"), tainted::toString);
    assertNotEquals(before, idOf(AuthorityKind.INTERMEDIATE, AuthorityState.ACTIVE));
  }

  @Test
  void activate_withNothingPrepared_exitsThreeWithFailedPrecondition() {
    Result activated = server.admin("authority", "activate", "intermediate");

    assertEquals(3, activated.exitCode(), activated::toString);
    assertEquals("error: FAILED_PRECONDITION: no intermediate is prepared\n", activated.err());
  }

  @Test
  void prepare_twice_exitsThreeWithFailedPrecondition() {
    assertEquals(0, server.admin("authority", "prepare", "root").exitCode());

    Result again = server.admin("authority", "prepare", "root");

    assertEquals(3, again.exitCode(), again::toString);
    assertEquals(
        "error: FAILED_PRECONDITION: a root is prepared already; activate it first\n", again.err());
  }

  @Test
  void prepare_ofAnUnknownKind_isAUsageError() {
    Result prepared = server.admin("authority", "prepare", "leaf");

    assertEquals(2, prepared.exitCode(), prepared::toString);
    assertTrue(
        prepared.err().startsWith("Invalid value for positional parameter at index 0 (KIND)"),
        prepared::toString);
  }

  @Test
  void revoke_ofTheActiveRoot_exitsThreeAndKeepsItInTheBundle() {
    String root = idOf(AuthorityKind.ROOT, AuthorityState.ACTIVE);

    Result revoked = server.admin("authority", "revoke", root);

    assertEquals(3, revoked.exitCode(), revoked::toString);
    assertEquals(
        "error: FAILED_PRECONDITION: only a tainted, old authority can be revoked; taint it and"
            + " rotate first\n",
        revoked.err());
    assertEquals(1, bundleRoots().size());
  }

  @Test
  void taint_ofAnUnknownId_exitsThreeWithNotFound() {
    Result tainted = server.admin("authority", "taint", "a.example-root-0000");

    assertEquals(3, tainted.exitCode(), tainted::toString);
    assertEquals("error: NOT_FOUND: no authority a.example-root-0000\n", tainted.err());
  }
}
