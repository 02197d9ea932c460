package dev.trustbridge.ca.store;

import dev.trustbridge.ca.entry.EntryStore;
import dev.trustbridge.ca.entry.RegistrationEntry;
import dev.trustbridge.spiffe.id.SpiffeId;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps the answers of {@link #listBySpiffeId} in memory: the lookup every issuance makes (the
 * caller's own entries, or the entries of the ID an agent asks for). Any write through this store
 * empties the cache once it has committed, so a reader never gets an answer older than the last
 * write that returned; an answer loaded while a write was under way is not kept.
 *
 * <p>The datastore's only writer is this process (the admin CLI goes through the server's API),
 * which is what makes the cache exact. A datastore shared by several servers would need a bound on
 * how long another server's write may go unseen (docs/datastore.md). Empty answers are kept too:
 * most workloads of an Istio mesh have no entry at all. At most {@link #MAX_IDS} IDs are kept; past
 * that the cache starts again empty.
 */
final class CachingEntryStore implements EntryStore {
  static final int MAX_IDS = 100_000;

  private final EntryStore store;
  private final ConcurrentMap<SpiffeId, List<RegistrationEntry>> bySpiffeId =
      new ConcurrentHashMap<>();
  private final AtomicLong generation = new AtomicLong();

  CachingEntryStore(EntryStore store) {
    this.store = Objects.requireNonNull(store, "store");
  }

  @Override
  public List<RegistrationEntry> listBySpiffeId(SpiffeId spiffeId) {
    Objects.requireNonNull(spiffeId, "spiffeId");
    List<RegistrationEntry> cached = bySpiffeId.get(spiffeId);
    if (cached != null) {
      return cached;
    }
    long before = generation.get();
    List<RegistrationEntry> loaded = store.listBySpiffeId(spiffeId);
    if (bySpiffeId.size() >= MAX_IDS) {
      bySpiffeId.clear();
    }
    bySpiffeId.put(spiffeId, loaded);
    // A write that committed while this lookup ran bumps the generation before it empties the
    // cache: if it did, the answer may predate it and goes; if it has not yet, its clear() will
    // remove the answer.
    if (generation.get() != before) {
      bySpiffeId.remove(spiffeId, loaded);
    }
    return loaded;
  }

  @Override
  public RegistrationEntry create(RegistrationEntry entry) {
    try {
      return store.create(entry);
    } finally {
      written();
    }
  }

  @Override
  public RegistrationEntry update(RegistrationEntry entry) {
    try {
      return store.update(entry);
    } finally {
      written();
    }
  }

  @Override
  public boolean delete(String id) {
    try {
      return store.delete(id);
    } finally {
      written();
    }
  }

  @Override
  public Optional<RegistrationEntry> get(String id) {
    return store.get(id);
  }

  @Override
  public List<RegistrationEntry> list() {
    return store.list();
  }

  @Override
  public List<RegistrationEntry> listByParent(SpiffeId parentId) {
    return store.listByParent(parentId);
  }

  /** Number of IDs whose answer is kept; for tests. */
  int size() {
    return bySpiffeId.size();
  }

  // After a write, failed ones included: a failure may still have committed (a lost reply).
  private void written() {
    generation.incrementAndGet();
    bySpiffeId.clear();
  }
}
