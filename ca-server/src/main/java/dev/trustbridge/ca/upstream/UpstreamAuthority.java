package dev.trustbridge.ca.upstream;

/**
 * Where the certificate authority of one trust domain gets its trust from. Chosen per trust domain
 * from {@code trust_domains[].upstream}:
 *
 * <ul>
 *   <li>{@link SelfSigned}: Trustbridge makes and rotates its own roots (no {@code upstream}).
 *   <li>{@link VaultPki}: Vault's PKI engine signs the intermediates whose keys this server
 *       generates; Vault's roots are the bundle.
 *   <li>{@link PluginFiles}: an operator hands over the signing CA as files (Istio's {@code
 *       cacerts}); their root bundle is the bundle.
 * </ul>
 *
 * <p>With an upstream there is no local root: the authority journal records the upstream's roots
 * (key id {@code upstream:...}, no key here) so that the bundle can be rebuilt at start without
 * asking the upstream.
 */
public sealed interface UpstreamAuthority permits SelfSigned, VaultPki, PluginFiles {
  /** The name used in logs and messages, as in the configuration ({@code self-signed}, ...). */
  String type();
}
