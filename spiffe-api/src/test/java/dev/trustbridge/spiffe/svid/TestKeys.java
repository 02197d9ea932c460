package dev.trustbridge.spiffe.svid;

import dev.trustbridge.spiffe.keys.KeyType;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.spec.ECGenParameterSpec;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * Key pairs for tests, generated at run time. Pairs are cached per (type, slot) for the whole test
 * JVM because RSA 3072/4096 generation takes seconds.
 */
final class TestKeys {
  static final Provider BC = new BouncyCastleProvider();

  private static final Map<String, KeyPair> CACHE = new ConcurrentHashMap<>();

  private TestKeys() {}

  /** A cached key pair of {@code type}; different slots give different keys. */
  static KeyPair pair(KeyType type, int slot) {
    // Not computeIfAbsent: generating an RSA pair goes through the cache again (rsa(bits)), and a
    // nested computeIfAbsent on the same map fails with "Recursive update" when the keys share a
    // bin.
    String key = type + "#" + slot;
    KeyPair pair = CACHE.get(key);
    if (pair == null) {
      pair = generate(type);
      KeyPair earlier = CACHE.putIfAbsent(key, pair);
      if (earlier != null) {
        pair = earlier;
      }
    }
    return pair;
  }

  static KeyPair generate(KeyType type) {
    return switch (type) {
      case EC_P256 -> ec("secp256r1");
      case EC_P384 -> ec("secp384r1");
      case RSA_2048, RSA_3072, RSA_4096 -> rsa(type.bits());
      case ED25519 -> ed25519();
    };
  }

  static KeyPair ec(String curve) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", BC);
      generator.initialize(new ECGenParameterSpec(curve));
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static KeyPair rsa(int bits) {
    return CACHE.computeIfAbsent(
        "rsa" + bits + "#raw",
        k -> {
          try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA", BC);
            generator.initialize(bits);
            return generator.generateKeyPair();
          } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
          }
        });
  }

  static KeyPair ed25519() {
    try {
      return KeyPairGenerator.getInstance("Ed25519", BC).generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
