package dev.trustbridge.ca.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class KeyBackendConfigTest {
  private static final Path BASE = Path.of("/etc/trustbridge");
  private static final String TD = "trust_domains:\n  - name: example.org\n";

  private static ServerConfig parse(String keys) {
    return ServerConfig.parse(keys + TD, BASE);
  }

  @Test
  void pkcs11_isRead() {
    KeysConfig keys =
        parse(
                "keys:\n  type: pkcs11\n  library: /usr/lib/softhsm/libsofthsm2.so\n"
                    + "  slot_list_index: 2\n  pin_env: HSM_PIN\n")
            .keys();
    KeysConfig.Pkcs11Keys hsm = (KeysConfig.Pkcs11Keys) keys;
    assertEquals(Path.of("/usr/lib/softhsm/libsofthsm2.so"), hsm.library());
    assertEquals(2, hsm.slotListIndex());
    assertEquals(Optional.of("HSM_PIN"), hsm.pin().env());
    assertEquals("trustbridge/", hsm.labelPrefix());
  }

  @Test
  void vaultTransit_withAppRole_isRead() {
    KeysConfig keys =
        parse(
                "keys:\n  type: vault-transit\n  address: https://vault.example:8200\n"
                    + "  ca_file: vault-ca.pem\n  auth:\n    method: approle\n"
                    + "    role_id: r-1\n    secret_id_file: /run/secrets/vault\n")
            .keys();
    KeysConfig.VaultTransitKeys vault = (KeysConfig.VaultTransitKeys) keys;
    assertEquals("transit", vault.mount());
    assertEquals(Optional.of(BASE.resolve("vault-ca.pem")), vault.caFile());
    KeysConfig.AppRoleLogin login = (KeysConfig.AppRoleLogin) vault.login();
    assertEquals("r-1", login.roleId());
    assertEquals("approle", login.mount());
    assertEquals(Optional.of(Path.of("/run/secrets/vault")), login.secretId().file());
  }

  static Stream<Arguments> invalid() {
    return Stream.of(
        Arguments.of("keys:\n  type: pkcs11\n  pin_env: P\n", "keys.library: required"),
        Arguments.of(
            "keys:\n  type: pkcs11\n  library: /l.so\n",
            "keys.pin_env: set exactly one of pin_env or pin_file"),
        Arguments.of(
            "keys:\n  type: vault-transit\n  address: http://vault:8200\n"
                + "  auth:\n    method: token\n    token_env: T\n",
            "keys.address: must be an https URL"),
        Arguments.of(
            "keys:\n  type: vault-transit\n  address: https://vault:8200\n",
            "keys.auth: is required: method token, approle or kubernetes"),
        Arguments.of(
            "keys:\n  type: vault-transit\n  address: https://vault:8200\n"
                + "  auth:\n    method: ldap\n",
            "keys.auth.method: must be token, approle or kubernetes"),
        Arguments.of(
            "keys:\n  type: pkcs11\n  library: /l.so\n  pin_env: P\n  dir: keys\n",
            "keys.dir: only for type: file"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("invalid")
  void invalidKeyBackend_namesTheKey(String keys, String problem) {
    ConfigException e = assertThrows(ConfigException.class, () -> parse(keys));
    assertTrue(e.getMessage().contains(problem), e.getMessage());
  }
}
