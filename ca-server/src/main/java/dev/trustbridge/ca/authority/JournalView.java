package dev.trustbridge.ca.authority;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/** One consistent read of a trust domain's authority journal and marks, with the queries on it. */
record JournalView(List<AuthorityRecord> records, Map<String, AuthorityMark> marks) {
  JournalView {
    records = List.copyOf(records);
    marks = Map.copyOf(marks);
  }

  /** Records of a kind and state, newest first. */
  List<AuthorityRecord> find(AuthorityKind kind, AuthorityState state) {
    return records.stream()
        .filter(r -> r.kind() == kind && r.state() == state)
        .sorted(Comparator.comparing(AuthorityRecord::createdAt).reversed())
        .toList();
  }

  /** The newest record of a kind and state that matches, if any. */
  Optional<AuthorityRecord> newest(
      AuthorityKind kind, AuthorityState state, Predicate<AuthorityRecord> filter) {
    return find(kind, state).stream().filter(filter).findFirst();
  }

  boolean tainted(AuthorityRecord record) {
    AuthorityMark mark = marks.get(record.id());
    return mark != null && mark.tainted();
  }

  boolean revoked(AuthorityRecord record) {
    AuthorityMark mark = marks.get(record.id());
    return mark != null && mark.revoked();
  }

  /** True if an old root is still needed: an intermediate it signed has not expired. */
  boolean stillNeeded(AuthorityRecord root, Instant now) {
    return records.stream()
        .anyMatch(
            r ->
                r.kind() == AuthorityKind.INTERMEDIATE
                    && r.issuerId().equals(Optional.of(root.id()))
                    && r.notAfter().isAfter(now));
  }

  /**
   * The roots that belong in the bundle: every unrevoked, unexpired PREPARED or ACTIVE root, and
   * OLD roots while a certificate chaining to them may still be valid. Oldest first.
   */
  List<AuthorityRecord> bundleRoots(Instant now) {
    return records.stream()
        .filter(r -> r.kind() == AuthorityKind.ROOT)
        .filter(r -> !revoked(r) && r.notAfter().isAfter(now))
        .filter(r -> r.state() != AuthorityState.OLD || stillNeeded(r, now))
        .sorted(Comparator.comparing(AuthorityRecord::createdAt))
        .toList();
  }

  /** True once {@code percent} of the certificate's lifetime has passed. */
  static boolean due(X509Certificate certificate, int percent, Instant now) {
    Instant notBefore = certificate.getNotBefore().toInstant();
    Duration life = Duration.between(notBefore, certificate.getNotAfter().toInstant());
    return !now.isBefore(notBefore.plus(life.multipliedBy(percent).dividedBy(100)));
  }
}
