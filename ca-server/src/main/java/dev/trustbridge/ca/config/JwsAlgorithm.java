package dev.trustbridge.ca.config;

/**
 * The JWS algorithms a JWT issuer may be trusted with: asymmetric ones only. {@code none} and the
 * HMAC algorithms have no constant, so a configuration cannot accept them.
 */
public enum JwsAlgorithm {
  RS256,
  RS384,
  RS512,
  ES256,
  ES384,
  ES512,
  PS256,
  PS384,
  PS512
}
