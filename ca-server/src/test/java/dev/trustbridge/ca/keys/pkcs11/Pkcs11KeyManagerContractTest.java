package dev.trustbridge.ca.keys.pkcs11;

import dev.trustbridge.spiffe.keys.KeyManager;
import dev.trustbridge.spiffe.keys.KeyManagerContractTest;
import dev.trustbridge.spiffe.keys.KeyType;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The shared key manager contract on a real SoftHSM2 token. Each manager gets its own label prefix
 * on one token, so each starts empty; {@link #reopen} closes the manager and opens the token again.
 */
@ExtendWith(SoftHsm.class)
class Pkcs11KeyManagerContractTest extends KeyManagerContractTest {
  private static final AtomicInteger MANAGERS = new AtomicInteger();

  private final SoftHsm.TestToken token;
  private final List<Pkcs11KeyManager> opened = new ArrayList<>();

  Pkcs11KeyManagerContractTest(SoftHsm.Tokens tokens) {
    this.token = tokens.get(SoftHsm.Role.SHARED);
  }

  @Override
  protected boolean signsInProcess() {
    return false;
  }

  @Override
  protected KeyManager newKeyManager() {
    return open(token.settings("contract-" + MANAGERS.incrementAndGet() + "/"));
  }

  @Override
  protected Set<KeyType> supportedKeyTypes() {
    return EnumSet.of(
        KeyType.EC_P256, KeyType.EC_P384, KeyType.RSA_2048, KeyType.RSA_3072, KeyType.RSA_4096);
  }

  @Override
  protected Optional<KeyManager> reopen(KeyManager manager) {
    Pkcs11KeyManager pkcs11 = (Pkcs11KeyManager) manager;
    Pkcs11Settings settings = pkcs11.settings();
    pkcs11.close();
    return Optional.of(open(settings));
  }

  private Pkcs11KeyManager open(Pkcs11Settings settings) {
    Pkcs11KeyManager manager = Pkcs11KeyManager.open(settings);
    synchronized (opened) {
      opened.add(manager);
    }
    return manager;
  }

  @AfterEach
  void closeManagers() {
    opened.forEach(Pkcs11KeyManager::close);
  }
}
