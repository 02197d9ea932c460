package dev.trustbridge.federation.endpoint;

import dev.trustbridge.spiffe.bundle.SpiffeBundle;
import java.util.function.Consumer;

/**
 * Where a {@link BundleEndpointServer} gets the bundle of the trust domain it serves. The server
 * application implements this over its authority journal: the bundle must already contain every CA
 * that may sign (new keys are published before use, SPIFFE Federation section 4.1) and carry an
 * increasing {@code spiffe_sequence}.
 */
public interface LocalBundleSource {
  /** The bundle to serve now. Never null; called once at start and never per request. */
  SpiffeBundle current();

  /**
   * Registers a listener called with every new bundle. The listener may be called on any thread; it
   * does no I/O (it serializes the document and swaps a reference).
   */
  Subscription onChange(Consumer<SpiffeBundle> listener);
}
