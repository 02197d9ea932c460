package dev.trustbridge.federation.endpoint;

/** A registered change listener; {@link #cancel()} stops further notifications. */
@FunctionalInterface
public interface Subscription {
  /** Stops notifications to the listener. Idempotent. */
  void cancel();
}
