package dev.trustbridge.federation.testing;

import dev.trustbridge.federation.endpoint.LocalBundleSource;
import dev.trustbridge.federation.endpoint.ServerCredential;
import dev.trustbridge.federation.endpoint.ServerSvidSource;
import dev.trustbridge.federation.endpoint.Subscription;
import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** Sources whose value a test sets; listeners are called synchronously. */
public final class MutableSources {
  private MutableSources() {}

  /** A settable value with listeners. */
  static class Mutable<T> {
    private volatile T value;
    private final List<Consumer<T>> listeners = new CopyOnWriteArrayList<>();

    Mutable(T value) {
      this.value = value;
    }

    public T current() {
      return value;
    }

    public void set(T newValue) {
      value = newValue;
      listeners.forEach(l -> l.accept(newValue));
    }

    public Subscription onChange(Consumer<T> listener) {
      listeners.add(listener);
      return () -> listeners.remove(listener);
    }
  }

  /** A bundle source. */
  public static final class Bundles extends Mutable<SpiffeBundle> implements LocalBundleSource {
    public Bundles(SpiffeBundle initial) {
      super(initial);
    }
  }

  /** An SVID source. */
  public static final class Svids extends Mutable<ServerCredential> implements ServerSvidSource {
    public Svids(ServerCredential initial) {
      super(initial);
    }
  }
}
