package dev.trustbridge.spiffe.svid;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.keys.CryptoProviders;
import dev.trustbridge.spiffe.keys.KeyType;
import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The leaf builder writes the very TBSCertificate that Bouncy Castle's certificate builder wrote
 * from the same inputs ({@link BouncyCastleLeaf}): same serial, times, names, key and extensions,
 * byte for byte. Only the signature may differ (ECDSA is randomised).
 */
class X509SvidBuilderBouncyCastleParityTest {
  private static final SpiffeId ID = SpiffeId.parse("spiffe://example.org/ns/default/sa/web");
  private static final Map<String, PublicKey> LEAF_KEYS = leafKeys();

  /** Times around the UTCTime/GeneralizedTime switches of RFC 5280 section 4.1.2.5. */
  private static final Map<String, Instant> TIMES = new LinkedHashMap<>();

  static {
    TIMES.put("2031", Instant.parse("2031-05-04T10:00:00Z"));
    TIMES.put("1949to1950", Instant.parse("1949-12-31T23:30:00Z"));
    TIMES.put("2049to2050", Instant.parse("2049-12-31T23:30:00Z"));
    TIMES.put("2077", Instant.parse("2077-03-01T12:34:56Z"));
  }

  static Stream<Arguments> issuers() {
    List<Arguments> cases = new ArrayList<>();
    for (KeyType issuerType :
        List.of(KeyType.EC_P256, KeyType.EC_P384, KeyType.RSA_2048, KeyType.ED25519)) {
      for (String time : TIMES.keySet()) {
        cases.add(Arguments.of(issuerType, time));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "issuer {0} at {1}")
  @MethodSource("issuers")
  void build_everyLeafKeyAndNameSet_writesBouncyCastlesTbsCertificate(
      KeyType issuerType, String time) throws Exception {
    Instant now = TIMES.get(time);
    Clock clock = Clock.fixed(now, ZoneOffset.UTC);
    TestPki pki =
        TestPki.create(TestPki.EXAMPLE, clock, 70, KeyType.EC_P256, issuerType, KeyType.EC_P256);
    IssuingCa issuer = pki.issuingIntermediate();
    Set<Integer> serialLengths = new HashSet<>();
    long seed = issuerType.ordinal() * 1000L + time.hashCode();
    for (Map.Entry<String, PublicKey> key : LEAF_KEYS.entrySet()) {
      for (NameSet names : NameSet.values()) {
        seed++;
        Duration ttl = Duration.ofHours(2);
        X509SvidBuilder builder =
            X509SvidBuilder.newBuilder(issuer, clock)
                .spiffeId(ID)
                .publicKey(key.getValue())
                .dnsNames(names.dnsNames)
                .ipAddresses(names.ipAddresses())
                .ttl(ttl)
                .random(new SeededRandom(seed));
        if (names.subject != null) {
          builder.subject(names.subject);
        }
        X509Certificate leaf = builder.build();
        byte[] expected =
            BouncyCastleLeaf.tbs(
                issuer,
                now,
                X509SvidBuilder.DEFAULT_BACKDATE,
                ttl,
                ID,
                key.getValue(),
                names.dnsNames,
                names.ipAddresses(),
                names.subject,
                new SeededRandom(seed));
        String what = key.getKey() + " leaf key, " + names;
        assertArrayEquals(expected, leaf.getTBSCertificate(), what);
        assertArrayEquals(
            SubjectPublicKeyInfo.getInstance(key.getValue().getEncoded())
                .getEncoded(ASN1Encoding.DER),
            leaf.getPublicKey().getEncoded(),
            what);
        assertEquals(KeyType.of(key.getValue()), KeyType.of(leaf.getPublicKey()), what);
        serialLengths.add(leaf.getSerialNumber().toByteArray().length);
      }
    }
    // Both a serial whose top bit needs a 0x00 pad (17 octets) and one that does not.
    assertTrue(serialLengths.contains(17) && serialLengths.contains(16), serialLengths::toString);
  }

  @Test
  void build_returnsTheJdksCertificateType_withoutPuttingItInTheJdksCache() throws Exception {
    TestPki pki = TestPki.create(TestPki.EXAMPLE, TestPki.nowClock());
    X509Certificate leaf = pki.leaf();
    CertificateFactory jdk = CertificateFactory.getInstance("X.509", "SUN");
    // generateCertificate answers from its process-wide cache when it has seen the bytes before.
    Certificate parsed = jdk.generateCertificate(new ByteArrayInputStream(leaf.getEncoded()));
    assertEquals(parsed.getClass(), leaf.getClass());
    assertEquals(parsed, leaf);
    assertNotSame(parsed, leaf);
  }

  enum NameSet {
    URI_ONLY(List.of(), List.of(), null),
    WITH_DNS_AND_IP(
        List.of("web.default.svc", "*.web.example.org"), List.of("10.1.2.3", "::1"), null),
    WITH_SUBJECT(List.of("localhost"), List.of(), new X500Principal("CN=web, OU=a+O=b, C=DE")),
    WITH_SUBJECT_AND_IP(
        List.of(), List.of("127.0.0.1"), new X500Principal("CN=web, O=Example, L=Zürich"));

    final List<String> dnsNames;
    final List<String> ipLiterals;
    final X500Principal subject;

    NameSet(List<String> dnsNames, List<String> ipLiterals, X500Principal subject) {
      this.dnsNames = dnsNames;
      this.ipLiterals = ipLiterals;
      this.subject = subject;
    }

    List<InetAddress> ipAddresses() throws Exception {
      List<InetAddress> addresses = new ArrayList<>();
      for (String literal : ipLiterals) {
        addresses.add(InetAddress.getByName(literal));
      }
      return addresses;
    }
  }

  /** Leaf keys of every type, from Bouncy Castle, the JDK and (where it loads) Conscrypt. */
  private static Map<String, PublicKey> leafKeys() {
    try {
      return leafKeysOfEveryProvider();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static Map<String, PublicKey> leafKeysOfEveryProvider() throws Exception {
    Map<String, PublicKey> keys = new LinkedHashMap<>();
    for (KeyType type : KeyType.values()) {
      keys.put("BC " + type, TestKeys.pair(type, 71).getPublic());
    }
    keys.put("JDK EC_P256", jdkEc("secp256r1"));
    keys.put("JDK EC_P384", jdkEc("secp384r1"));
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    keys.put("JDK RSA_2048", rsa.generateKeyPair().getPublic());
    keys.put("JDK ED25519", KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic());
    keys.put(
        "BER-encoded EC_P256",
        new BerEncodedEcKey((ECPublicKey) TestKeys.pair(KeyType.EC_P256, 72).getPublic()));
    CryptoProviders.conscrypt()
        .ifPresent(
            conscrypt -> {
              for (KeyType type : List.of(KeyType.EC_P256, KeyType.EC_P384, KeyType.RSA_2048)) {
                keys.put(
                    "Conscrypt " + type,
                    conscrypt.keyPairGenerator(type).generateKeyPair().getPublic());
              }
            });
    return keys;
  }

  private static PublicKey jdkEc(String curve) throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec(curve));
    return generator.generateKeyPair().getPublic();
  }

  /**
   * An EC key whose {@code getEncoded()} is valid BER but not DER (non-minimal lengths), as an odd
   * provider might give it: Bouncy Castle re-encoded it, and so must the builder.
   */
  record BerEncodedEcKey(ECPublicKey key) implements ECPublicKey {
    @Override
    public ECPoint getW() {
      return key.getW();
    }

    @Override
    public ECParameterSpec getParams() {
      return key.getParams();
    }

    @Override
    public String getAlgorithm() {
      return "EC";
    }

    @Override
    public String getFormat() {
      return "X.509";
    }

    @Override
    public byte[] getEncoded() {
      // 30 59 30 13 ... 03 42 00 04 ...: lengths 0x59 and 0x42 written in the long form.
      byte[] der = key.getEncoded();
      int bitString = 2 + 2 + (der[3] & 0xFF);
      byte[] ber = new byte[der.length + 2];
      ber[0] = 0x30;
      ber[1] = (byte) 0x81;
      ber[2] = (byte) ((der[1] & 0xFF) + 1);
      System.arraycopy(der, 2, ber, 3, bitString - 2);
      ber[bitString + 1] = 0x03;
      ber[bitString + 2] = (byte) 0x81;
      System.arraycopy(der, bitString + 1, ber, bitString + 3, der.length - bitString - 1);
      return ber;
    }
  }

  /** A repeatable source of serials: two instances with one seed give the same serial. */
  static final class SeededRandom extends SecureRandom {
    private static final long serialVersionUID = 1L;
    private final Random random;

    SeededRandom(long seed) {
      this.random = new Random(seed);
    }

    @Override
    public void nextBytes(byte[] bytes) {
      random.nextBytes(bytes);
    }
  }
}
