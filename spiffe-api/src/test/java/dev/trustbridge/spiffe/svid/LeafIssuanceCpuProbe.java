package dev.trustbridge.spiffe.svid;

import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.keys.CaKey;
import dev.trustbridge.spiffe.keys.CryptoProviders;
import dev.trustbridge.spiffe.keys.InMemoryKeyManager;
import dev.trustbridge.spiffe.keys.KeyType;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;

/**
 * Not a test: a throwaway CPU probe for leaf issuance, run by hand with {@code java -cp
 * target/classes:target/test-classes:<deps> dev.trustbridge.spiffe.svid.LeafIssuanceCpuProbe
 * [iterations] [rounds]}. It reports the thread CPU time per {@link X509SvidBuilder#build()} (which
 * includes the profile check and the signature verify), per {@link
 * X509SvidProfileChecker#checkLeaf}, and, for scale, per bare P-256 sign and verify, with an EC
 * P-256 issuer in an {@link InMemoryKeyManager} (Conscrypt where it loads) and a P-256 leaf key
 * read by Bouncy Castle, as the server's CSR validator reads it (and, for comparison, a Conscrypt
 * key, whose {@code getEncoded()} alone costs several microseconds).
 */
final class LeafIssuanceCpuProbe {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private LeafIssuanceCpuProbe() {}

  public static void main(String[] args) throws Exception {
    int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    Clock clock = TestPki.nowClock();
    InMemoryKeyManager keys = new InMemoryKeyManager();
    CaKey rootKey = keys.generate("root", KeyType.EC_P256);
    X509Certificate root =
        CaCertificateBuilder.selfSigned(TestPki.EXAMPLE, rootKey, clock)
            .ttl(Duration.ofDays(365))
            .build();
    CaKey interKey = keys.generate("intermediate", KeyType.EC_P256);
    X509Certificate inter =
        CaCertificateBuilder.intermediate(
                TestPki.EXAMPLE, interKey.publicKey(), IssuingCa.of(root, rootKey), clock)
            .ttl(Duration.ofDays(30))
            .build();
    IssuingCa issuer = IssuingCa.of(inter, interKey);
    PublicKey conscryptKey =
        CryptoProviders.detect().keyPairGenerator(KeyType.EC_P256).generateKeyPair().getPublic();
    // What the server's CSR validator hands the builder: a Bouncy Castle key read from the SPKI.
    PublicKey leafKey =
        KeyFactory.getInstance("EC", TestKeys.BC)
            .generatePublic(new X509EncodedKeySpec(conscryptKey.getEncoded()));
    SpiffeId id = SpiffeId.parse("spiffe://example.org/ns/default/sa/web");
    X509Certificate sample = build(issuer, clock, leafKey, id);
    byte[] tbs = sample.getTBSCertificate();
    byte[] signature = interKey.sign(tbs);
    System.out.println("providers: " + CryptoProviders.detect().describe());
    System.out.println("leaf DER: " + sample.getEncoded().length + " bytes");

    Runnable build = () -> build(issuer, clock, leafKey, id);
    Runnable buildConscryptKey = () -> build(issuer, clock, conscryptKey, id);
    Runnable check = () -> X509SvidProfileChecker.checkLeaf(sample, inter);
    Runnable sign = () -> interKey.sign(tbs);
    Runnable verify =
        () -> {
          try {
            Signature v = CryptoProviders.detect().signature(KeyType.EC_P256);
            v.initVerify(interKey.publicKey());
            v.update(tbs);
            if (!v.verify(signature)) {
              throw new IllegalStateException("bad signature");
            }
          } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
          }
        };
    report("build()", build, iterations, rounds);
    report("build() with a Conscrypt leaf key", buildConscryptKey, iterations, rounds);
    report("checkLeaf", check, iterations, rounds);
    report("bare sign", sign, iterations, rounds);
    report("bare verify", verify, iterations, rounds);
  }

  private static X509Certificate build(
      IssuingCa issuer, Clock clock, PublicKey leafKey, SpiffeId id) {
    return X509SvidBuilder.newBuilder(issuer, clock)
        .spiffeId(id)
        .publicKey(leafKey)
        .ttl(Duration.ofHours(1))
        .build();
  }

  private static void report(String name, Runnable task, int iterations, int rounds) {
    for (int i = 0; i < iterations; i++) { // warm-up
      task.run();
    }
    double[] micros = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      long start = THREADS.getCurrentThreadCpuTime();
      for (int i = 0; i < iterations; i++) {
        task.run();
      }
      micros[r] = (THREADS.getCurrentThreadCpuTime() - start) / 1000.0 / iterations;
    }
    double[] sorted = micros.clone();
    Arrays.sort(sorted);
    System.out.printf(
        "%-34s median %6.1f us CPU/op  (min %.1f, max %.1f; %d rounds x %d)%n",
        name, sorted[rounds / 2], sorted[0], sorted[rounds - 1], rounds, iterations);
  }
}
