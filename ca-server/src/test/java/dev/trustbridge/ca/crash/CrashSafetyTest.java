package dev.trustbridge.ca.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.trustbridge.ca.authority.AuthorityRecord;
import dev.trustbridge.proto.admin.v1.Authority;
import dev.trustbridge.proto.admin.v1.AuthorityAdminGrpc;
import dev.trustbridge.proto.admin.v1.AuthorityIdRequest;
import dev.trustbridge.proto.admin.v1.AuthorityKindRequest;
import dev.trustbridge.proto.admin.v1.BundleAdminGrpc;
import dev.trustbridge.proto.admin.v1.CreateJoinTokenRequest;
import dev.trustbridge.proto.admin.v1.GetBundleRequest;
import dev.trustbridge.proto.admin.v1.GetBundleResponse;
import dev.trustbridge.proto.admin.v1.ListAuthoritiesRequest;
import dev.trustbridge.proto.admin.v1.TokenAdminGrpc;
import dev.trustbridge.proto.ca.v1.CertificateAuthorityGrpc;
import dev.trustbridge.proto.ca.v1.SignX509SvidRequest;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.keys.CryptoProviders;
import dev.trustbridge.spiffe.keys.KeyType;
import dev.trustbridge.spiffe.svid.X509SvidVerifier;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety: the server runs in a JVM of its own and is killed with SIGKILL at a random point
 * while admins rotate its CAs and agents obtain SVIDs, many times over. After every kill the files
 * on disk name no lost key; after every restart the journal is consistent, every unexpired leaf
 * issued so far still validates against the bundle, the bundle sequence has not gone back, and the
 * server still issues.
 *
 * <p>{@code -Dtrustbridge.crash.seed=N} replays a run (the seed is printed and is in every failure
 * message); {@code -Dtrustbridge.crash.cycles=N} sets the number of kills (default 16).
 */
class CrashSafetyTest {
  private static final int CYCLES = Integer.getInteger("trustbridge.crash.cycles", 16);
  private static final int MAX_KILL_DELAY_MILLIS = 300;
  private static final Duration RPC_DEADLINE = Duration.ofSeconds(60);
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  @TempDir Path dir;
  private ServerProcess server;
  private final ExecutorService killer = Executors.newSingleThreadExecutor();

  /** What the test has been told so far, to hold the restarted server to. */
  private final List<List<X509Certificate>> leaves = new ArrayList<>();

  private final Set<String> acknowledged = new LinkedHashSet<>();
  private long highestSequence;
  private int leafCounter;

  private enum Step {
    ISSUE,
    PREPARE_ROOT,
    PREPARE_INTERMEDIATE,
    ACTIVATE_ROOT,
    ACTIVATE_INTERMEDIATE,
    TAINT_INTERMEDIATE
  }

  @AfterEach
  void stop() {
    killer.shutdownNow();
    if (server != null) {
      server.close();
    }
  }

  @Test
  void sigkillAtRandomPointsOfRotation_journalConsistentLeavesValidAndNoKeyLost() throws Exception {
    long seed = Long.getLong("trustbridge.crash.seed", System.nanoTime());
    System.out.println("CrashSafetyTest seed=" + seed + " cycles=" + CYCLES);
    Random random = new Random(seed);
    Path data = dir.resolve("data");
    server = ServerProcess.start(data, "first start (seed " + seed + ")");
    checkRestarted("after first start, seed " + seed);
    int steps = 0;
    for (int cycle = 1; cycle <= CYCLES; cycle++) {
      int delay = random.nextInt(MAX_KILL_DELAY_MILLIS + 1);
      String context = "seed " + seed + ", cycle " + cycle + ", kill after " + delay + "ms";
      List<String> done = driveUntilKilled(random, delay, context);
      steps += done.size();
      System.out.println("cycle " + cycle + " (" + delay + "ms): " + done);
      JournalInvariants.DiskState disk = JournalInvariants.checkKeysOnDisk(data);
      System.out.printf(
          "  after the kill: %d authorities, to repair %s, orphan keys %s, temporary files %s%n",
          disk.records().size(), disk.halfDone(), disk.orphanKeys(), disk.temporaryFiles());
      server.close();
      server = ServerProcess.start(data, "restart " + cycle + " (" + context + ")");
      checkRestarted(context + ", steps " + done);
    }
    server.kill();
    List<AuthorityRecord> records = JournalInvariants.checkKeysOnDisk(data).records();
    JournalInvariants.checkKeysMatchCertificates(data, records);
    System.out.printf(
        "CrashSafetyTest seed=%d: %d kills, %d steps acknowledged, %d authorities, %d leaves%n",
        seed, CYCLES, steps, records.size(), leaves.size());
    assertTrue(records.size() > 2, "the test rotated nothing: " + records);
  }

  @Test
  void killRightAfterPrepareRoot_preparedRootStaysInBundle() throws Exception {
    Path data = dir.resolve("data");
    server = ServerProcess.start(data, "first start");
    checkRestarted("after first start");
    Authority prepared =
        authorities().prepareAuthority(AuthorityKindRequest.newBuilder().setKind("root").build());
    server.kill();
    JournalInvariants.checkKeysOnDisk(data);
    server.close();
    server = ServerProcess.start(data, "restart after prepare root");
    acknowledged.add(prepared.getId());
    checkRestarted("after kill following PrepareAuthority(root)");

    Authority after =
        authorities()
            .listAuthorities(ListAuthoritiesRequest.getDefaultInstance())
            .getAuthoritiesList()
            .stream()
            .filter(a -> a.getId().equals(prepared.getId()))
            .findFirst()
            .orElseThrow();
    assertEquals("prepared", after.getState(), server.logTail());
    assertTrue(after.getInBundle(), "prepared root not in bundle" + server.logTail());
    assertTrue(
        bundleRoots(bundle()).stream()
            .anyMatch(c -> c.getSerialNumber().toString(16).equals(prepared.getSerial())),
        "the prepared root's certificate is not in GetBundle" + server.logTail());
  }

  // ---- one cycle ------------------------------------------------------------------------------

  /**
   * Takes random rotation and issuance steps until the killer, started now, has SIGKILLed the
   * server. A step the kill interrupts may fail in any way; a step before it may only be refused
   * (FAILED_PRECONDITION, e.g. "a root is prepared already").
   *
   * @return the steps taken, with their outcome
   */
  private List<String> driveUntilKilled(Random random, int delayMillis, String context)
      throws Exception {
    List<String> done = new ArrayList<>();
    // A few steps before the killer starts let the journal move on from cycle to cycle: most
    // steps generate a key, which takes longer than the longest delay before the kill.
    for (int i = random.nextInt(3); i > 0; i--) {
      Step step = pick(random);
      try {
        done.add(step + " " + take(step));
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.FAILED_PRECONDITION) {
          throw new AssertionError(step + " failed (" + context + "): " + e + server.logTail(), e);
        }
        done.add(step + " refused");
      }
    }
    done.add("(killer started)");
    AtomicBoolean killing = new AtomicBoolean();
    ServerProcess victim = server;
    Future<?> kill =
        killer.submit(
            () -> {
              Thread.sleep(delayMillis);
              killing.set(true);
              victim.kill();
              return null;
            });
    while (!killing.get()) {
      Step step = pick(random);
      try {
        done.add(step + " " + take(step));
      } catch (StatusRuntimeException e) {
        if (killing.get()) {
          done.add(step + " failed during the kill (" + e.getStatus().getCode() + ")");
          break;
        }
        if (e.getStatus().getCode() != Status.Code.FAILED_PRECONDITION) {
          throw new AssertionError(
              step + " failed before the kill (" + context + "): " + e + server.logTail(), e);
        }
        done.add(step + " refused");
      }
    }
    try {
      kill.get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("kill failed (" + context + ")" + server.logTail(), e.getCause());
    }
    return done;
  }

  /** Issuance a third of the time, otherwise any step (issuance included) alike. */
  private static Step pick(Random random) {
    Step[] steps = Step.values();
    return random.nextInt(3) == 0 ? Step.ISSUE : steps[random.nextInt(steps.length)];
  }

  private String take(Step step) throws Exception {
    return switch (step) {
      case ISSUE -> {
        int ttl = 30 + (leafCounter * 37) % 600;
        issueLeaf(ttl);
        yield "ttl=" + ttl + "s";
      }
      case PREPARE_ROOT -> acknowledge(authorities().prepareAuthority(kind("root", false)));
      case PREPARE_INTERMEDIATE ->
          acknowledge(authorities().prepareAuthority(kind("intermediate", false)));
      case ACTIVATE_ROOT -> acknowledge(authorities().activateAuthority(kind("root", true)));
      case ACTIVATE_INTERMEDIATE ->
          acknowledge(authorities().activateAuthority(kind("intermediate", false)));
      case TAINT_INTERMEDIATE -> {
        Authority active =
            JournalInvariants.find(journal(), "intermediate", "active").stream()
                .filter(a -> !a.getTainted())
                .findFirst()
                .orElseThrow(() -> Status.FAILED_PRECONDITION.asRuntimeException());
        yield acknowledge(
            authorities()
                .taintAuthority(AuthorityIdRequest.newBuilder().setId(active.getId()).build()));
      }
    };
  }

  private String acknowledge(Authority authority) {
    acknowledged.add(authority.getId());
    return authority.getId() + " " + authority.getState();
  }

  private static AuthorityKindRequest kind(String kind, boolean force) {
    return AuthorityKindRequest.newBuilder().setKind(kind).setForce(force).build();
  }

  // ---- after a restart --------------------------------------------------------------------

  /**
   * The journal is consistent and names every CA an RPC acknowledged; the bundle is what the
   * journal publishes, its sequence has not gone back, and it validates every unexpired leaf issued
   * so far; and the server still issues.
   */
  private void checkRestarted(String context) throws Exception {
    String why = " (" + context + ")" + server.logTail();
    List<Authority> journal = journal();
    try {
      JournalInvariants.checkJournal(journal, acknowledged);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + why, e);
    }
    GetBundleResponse bundle = bundle();
    List<X509Certificate> roots = bundleRoots(bundle);
    JournalInvariants.checkBundleMatchesJournal(journal, roots);
    assertTrue(
        bundle.getSequence() >= highestSequence,
        "bundle sequence went back from " + highestSequence + " to " + bundle.getSequence() + why);
    highestSequence = bundle.getSequence();

    X509SvidVerifier verifier =
        new X509SvidVerifier(
            td -> td.equals(JournalInvariants.TD) ? Optional.of(roots) : Optional.empty(),
            Clock.systemUTC());
    Instant soon = Instant.now().plusSeconds(5);
    int checked = 0;
    for (List<X509Certificate> chain : leaves) {
      if (chain.get(0).getNotAfter().toInstant().isAfter(soon)) {
        try {
          verifier.verify(chain);
        } catch (TrustbridgeException e) {
          throw new AssertionError(
              "leaf "
                  + chain.get(0).getSubjectX500Principal()
                  + " serial "
                  + chain.get(0).getSerialNumber().toString(16)
                  + " no longer validates: "
                  + e.getMessage()
                  + "\njournal:\n"
                  + JournalInvariants.describe(journal)
                  + why,
              e);
        }
        checked++;
      }
    }
    List<X509Certificate> fresh = issueLeaf(600);
    verifier.verify(fresh);
    System.out.println(
        "  restarted: "
            + journal.size()
            + " authorities, bundle of "
            + roots.size()
            + " roots at sequence "
            + bundle.getSequence()
            + ", "
            + checked
            + " unexpired leaves validate");
  }

  // ---- client calls -----------------------------------------------------------------------

  private AuthorityAdminGrpc.AuthorityAdminBlockingStub authorities() {
    return AuthorityAdminGrpc.newBlockingStub(server.admin())
        .withDeadlineAfter(RPC_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
  }

  private List<Authority> journal() {
    return authorities()
        .listAuthorities(ListAuthoritiesRequest.getDefaultInstance())
        .getAuthoritiesList();
  }

  private GetBundleResponse bundle() {
    return BundleAdminGrpc.newBlockingStub(server.admin())
        .withDeadlineAfter(RPC_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
        .getBundle(GetBundleRequest.getDefaultInstance());
  }

  private static List<X509Certificate> bundleRoots(GetBundleResponse bundle) {
    return bundle.getX509AuthoritiesList().stream()
        .map(der -> JournalInvariants.certificate(der.toByteArray()))
        .toList();
  }

  /** Join token, then SignX509Svid with it; the chain is kept for the checks after restarts. */
  private List<X509Certificate> issueLeaf(int ttlSeconds) throws Exception {
    SpiffeId id =
        SpiffeId.parse("spiffe://" + ServerProcess.TRUST_DOMAIN + "/workload/w" + leafCounter++);
    String token =
        TokenAdminGrpc.newBlockingStub(server.admin())
            .withDeadlineAfter(RPC_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
            .createJoinToken(CreateJoinTokenRequest.newBuilder().setSpiffeId(id.toString()).build())
            .getToken();
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, "JoinToken " + token);
    ManagedChannel anonymous = server.anonymous();
    List<X509Certificate> chain =
        CertificateAuthorityGrpc.newBlockingStub(anonymous)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
            .withDeadlineAfter(RPC_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
            .signX509Svid(
                SignX509SvidRequest.newBuilder().setCsr(csr()).setTtlSeconds(ttlSeconds).build())
            .getCertChainList()
            .stream()
            .map(der -> JournalInvariants.certificate(der.toByteArray()))
            .toList();
    leaves.add(chain);
    return chain;
  }

  private static ByteString csr() throws Exception {
    CryptoProviders bc = CryptoProviders.bouncyCastleOnly();
    KeyPair keys = bc.keyPairGenerator(KeyType.EC_P256).generateKeyPair();
    return ByteString.copyFrom(
        new JcaPKCS10CertificationRequestBuilder(new X500Principal(""), keys.getPublic())
            .build(
                new JcaContentSignerBuilder(KeyType.EC_P256.jcaSignatureAlgorithm())
                    .setProvider(bc.bouncyCastle())
                    .build(keys.getPrivate()))
            .getEncoded());
  }
}
