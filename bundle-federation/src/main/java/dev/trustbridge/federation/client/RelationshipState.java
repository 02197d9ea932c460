package dev.trustbridge.federation.client;

import dev.trustbridge.spiffe.id.TrustDomain;
import java.math.BigInteger;
import java.net.URI;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What an admin sees of one relationship after each poll.
 *
 * @param trustDomain the federated trust domain
 * @param url the configured endpoint URL
 * @param lastAttempt when the last poll started
 * @param lastSuccess when a poll last succeeded (document fetched and accepted)
 * @param lastError the last failure's message (kept after a later success; see {@code
 *     consecutiveFailures} for current health); never contains document content
 * @param lastErrorAt when that failure happened
 * @param consecutiveFailures failed polls since the last success; 0 when healthy
 * @param sequence the {@code spiffe_sequence} of the bundle in use (stored)
 * @param nextPoll when the next scheduled poll is due
 * @param earliestExpiry the earliest {@code notAfter} of the X.509 authorities in use
 * @param latestExpiry the latest {@code notAfter} of the X.509 authorities in use
 */
public record RelationshipState(
    TrustDomain trustDomain,
    URI url,
    Optional<Instant> lastAttempt,
    Optional<Instant> lastSuccess,
    Optional<String> lastError,
    Optional<Instant> lastErrorAt,
    int consecutiveFailures,
    Optional<BigInteger> sequence,
    Optional<Instant> nextPoll,
    Optional<Instant> earliestExpiry,
    Optional<Instant> latestExpiry) {
  public RelationshipState {
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(lastAttempt, "lastAttempt");
    Objects.requireNonNull(lastSuccess, "lastSuccess");
    Objects.requireNonNull(lastError, "lastError");
    Objects.requireNonNull(lastErrorAt, "lastErrorAt");
    Objects.requireNonNull(sequence, "sequence");
    Objects.requireNonNull(nextPoll, "nextPoll");
    Objects.requireNonNull(earliestExpiry, "earliestExpiry");
    Objects.requireNonNull(latestExpiry, "latestExpiry");
  }

  /** The state of a relationship that has not been polled yet. */
  public static RelationshipState initial(TrustDomain trustDomain, URI url) {
    return new RelationshipState(
        trustDomain,
        url,
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        0,
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty());
  }

  /** True when the last poll succeeded. */
  public boolean healthy() {
    return consecutiveFailures == 0 && lastSuccess.isPresent();
  }
}
