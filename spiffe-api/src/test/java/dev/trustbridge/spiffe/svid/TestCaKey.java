package dev.trustbridge.spiffe.svid;

import dev.trustbridge.spiffe.keys.CaKey;
import dev.trustbridge.spiffe.keys.KeyType;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.Signature;

/** A test-only {@link CaKey} over an in-memory key pair, signing with Bouncy Castle. */
record TestCaKey(String id, KeyType keyType, KeyPair pair) implements CaKey {
  static TestCaKey of(KeyType type, int slot) {
    return new TestCaKey(type + "-" + slot, type, TestKeys.pair(type, slot));
  }

  @Override
  public PublicKey publicKey() {
    return pair.getPublic();
  }

  @Override
  public byte[] sign(byte[] data) {
    try {
      Signature signature = Signature.getInstance(keyType.jcaSignatureAlgorithm(), TestKeys.BC);
      signature.initSign(pair.getPrivate());
      signature.update(data);
      return signature.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
