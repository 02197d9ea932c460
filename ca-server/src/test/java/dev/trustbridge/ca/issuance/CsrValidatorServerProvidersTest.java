package dev.trustbridge.ca.issuance;

import dev.trustbridge.spiffe.keys.CryptoProviders;
import dev.trustbridge.spiffe.keys.KeyType;
import java.util.EnumSet;

/**
 * Every {@link CsrValidatorTest} case again with what the server uses: signatures from the fast
 * provider (Conscrypt where it loads) and keys decoded by the JDK's own factories, so that a key or
 * encoding one provider accepts and the other refuses would show up here.
 */
class CsrValidatorServerProvidersTest extends CsrValidatorTest {
  private static final CryptoProviders PROVIDERS = CryptoProviders.detect();
  private static final CsrValidator SERVER =
      new CsrValidator(
          65536,
          EnumSet.allOf(KeyType.class),
          PROVIDERS::verify,
          CsrValidator.KeyFactorySource.JDK);

  @Override
  CsrValidator validator() {
    return SERVER;
  }
}
