package dev.trustbridge.ca.authority;

import dev.trustbridge.ca.upstream.PluginCa;
import dev.trustbridge.ca.upstream.PluginFiles;
import dev.trustbridge.ca.upstream.UpstreamAuthority;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.keys.CaKey;
import dev.trustbridge.spiffe.keys.KeyManager;

/**
 * Where the signing key of each journal record lives: the root or intermediate key manager, or, for
 * a CA from plug-in files, the files' current key (held in memory only).
 */
record AuthorityKeys(KeyManager roots, KeyManager intermediates, UpstreamAuthority upstream) {
  private static final String PLUGIN_KEY = "plugin:";

  /**
   * The key that signs for {@code record}.
   *
   * @throws TrustbridgeException FAILED_PRECONDITION if it is missing
   */
  CaKey of(AuthorityRecord record) {
    if (upstream instanceof PluginFiles files && record.keyId().startsWith(PLUGIN_KEY)) {
      PluginCa current = files.current();
      if (current.keyId().equals(record.keyId())) {
        return current.ca().key();
      }
    }
    KeyManager keys = record.kind() == AuthorityKind.ROOT ? roots : intermediates;
    return keys.find(record.keyId())
        .orElseThrow(
            () ->
                new TrustbridgeException(
                    ErrorCode.FAILED_PRECONDITION,
                    "key " + record.keyId() + " of authority " + record.id() + " is missing"));
  }
}
