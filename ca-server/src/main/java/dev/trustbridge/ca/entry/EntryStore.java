package dev.trustbridge.ca.entry;

import dev.trustbridge.spiffe.id.SpiffeId;
import java.util.List;
import java.util.Optional;

/**
 * Where registration entries are kept. An entry is identified by its id; no two entries share the
 * same SPIFFE ID and parent ID.
 *
 * <p>Implementations are thread safe. Every method throws {@link
 * dev.trustbridge.spiffe.error.TrustbridgeException} with code {@code UNAVAILABLE} if the backing
 * store cannot be reached. Lists are ordered by creation time, then id.
 */
public interface EntryStore {
  /**
   * Stores a new entry and returns it as stored. An entry without an id ({@link
   * RegistrationEntry#UNASSIGNED}) is given a fresh random one; an entry with an id keeps it.
   *
   * @throws dev.trustbridge.spiffe.error.TrustbridgeException {@code ALREADY_EXISTS} if an entry
   *     with the same SPIFFE ID and parent ID, or with the same id, exists
   */
  RegistrationEntry create(RegistrationEntry entry);

  /** The entry with this id, or empty. */
  Optional<RegistrationEntry> get(String id);

  /** All entries. */
  List<RegistrationEntry> list();

  /** The entries whose parent ID is {@code parentId}. */
  List<RegistrationEntry> listByParent(SpiffeId parentId);

  /** The entries whose SPIFFE ID is {@code spiffeId} (one per parent). */
  List<RegistrationEntry> listBySpiffeId(SpiffeId spiffeId);

  /** Deletes the entry with this id; returns false if there was none. */
  boolean delete(String id);

  /**
   * Replaces everything but the id and creation time of the stored entry with {@code entry.id()}
   * and returns the entry as stored.
   *
   * @throws dev.trustbridge.spiffe.error.TrustbridgeException {@code NOT_FOUND} if there is no such
   *     entry, {@code ALREADY_EXISTS} if another entry has the new SPIFFE ID and parent ID
   */
  RegistrationEntry update(RegistrationEntry entry);
}
