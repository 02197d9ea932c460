package dev.trustbridge.ca.store;

import dev.trustbridge.ca.entry.EntryStore;
import dev.trustbridge.ca.entry.RegistrationEntry;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import java.time.Clock;
import java.time.Duration;
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
 * <p>That is exact when this process is the datastore's only writer (SQLite: the admin CLI goes
 * through the server's API). When several servers share the datastore (PostgreSQL), another
 * server's write is not seen here until the answer is reloaded: with a {@code maxAge}, an answer
 * loaded that long ago or longer is loaded again, so another server's write is seen within {@code
 * maxAge} (plus the time of one lookup). While the database is unavailable, an answer past {@code
 * maxAge} is still given rather than an error: no server can change entries then, and lookups that
 * only decide which bundles to send keep working. Empty answers are kept too: most workloads of an
 * Istio mesh have no entry at all. At most {@link #MAX_IDS} IDs are kept; past that the cache
 * starts again empty.
 */
final class CachingEntryStore implements EntryStore {
  static final int MAX_IDS = 100_000;

  /** One answer, with the time its load began (so its age bounds how stale it can be). */
  private record Cached(List<RegistrationEntry> entries, long loadedAtMillis) {}

  private final EntryStore store;
  private final Clock clock;
  private final long maxAgeMillis; // Long.MAX_VALUE: exact, no reload
  private final ConcurrentMap<SpiffeId, Cached> bySpiffeId = new ConcurrentHashMap<>();
  private final AtomicLong generation = new AtomicLong();

  /** A cache for the only writer of the datastore: answers are kept until a write. */
  CachingEntryStore(EntryStore store) {
    this.store = Objects.requireNonNull(store, "store");
    this.clock = Clock.systemUTC();
    this.maxAgeMillis = Long.MAX_VALUE;
  }

  /**
   * A cache for a datastore that other servers write too: an answer is also reloaded once it is
   * {@code maxAge} old, by {@code clock}.
   */
  CachingEntryStore(EntryStore store, Clock clock, Duration maxAge) {
    this.store = Objects.requireNonNull(store, "store");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (maxAge.isNegative() || maxAge.isZero()) {
      throw new IllegalArgumentException("maxAge must be positive");
    }
    this.maxAgeMillis = maxAge.toMillis();
  }

  @Override
  public List<RegistrationEntry> listBySpiffeId(SpiffeId spiffeId) {
    Objects.requireNonNull(spiffeId, "spiffeId");
    Cached cached = bySpiffeId.get(spiffeId);
    if (cached != null && fresh(cached)) {
      return cached.entries();
    }
    long before = generation.get();
    long loadedAt = maxAgeMillis == Long.MAX_VALUE ? 0 : clock.millis();
    Cached loaded;
    try {
      loaded = new Cached(store.listBySpiffeId(spiffeId), loadedAt);
    } catch (TrustbridgeException e) {
      if (cached != null && e.code() == ErrorCode.UNAVAILABLE) {
        // The database is gone for now, and so is every other server's way to change entries:
        // the last answer stays the best one (bundles keep being served during an outage).
        return cached.entries();
      }
      throw e;
    }
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
    return loaded.entries();
  }

  private boolean fresh(Cached cached) {
    if (maxAgeMillis == Long.MAX_VALUE) {
      return true;
    }
    // A negative age (the clock was set back) counts as stale, so nothing is kept forever.
    long age = clock.millis() - cached.loadedAtMillis();
    return age >= 0 && age < maxAgeMillis;
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
