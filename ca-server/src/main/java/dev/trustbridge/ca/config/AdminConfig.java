package dev.trustbridge.ca.config;

import dev.trustbridge.spiffe.id.SpiffeId;
import java.util.Set;

/**
 * Administrators (key {@code admin}).
 *
 * @param ids SPIFFE IDs with admin rights, besides the local admin credential, which always has
 *     them
 */
public record AdminConfig(Set<SpiffeId> ids) {
  public AdminConfig {
    ids = Set.copyOf(ids);
  }
}
