package dev.trustbridge.ca.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.ca.audit.AuditEvent;
import dev.trustbridge.ca.audit.AuditLog;
import dev.trustbridge.ca.audit.AuditQuery;
import dev.trustbridge.ca.authn.JoinToken;
import dev.trustbridge.ca.authn.JoinTokenStore;
import dev.trustbridge.ca.authority.AuthorityKind;
import dev.trustbridge.ca.authority.AuthorityRecord;
import dev.trustbridge.ca.authority.AuthorityState;
import dev.trustbridge.ca.authority.AuthorityStore;
import dev.trustbridge.ca.authority.BundleSequenceStore;
import dev.trustbridge.ca.entry.EntryStore;
import dev.trustbridge.ca.entry.RegistrationEntry;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The behaviour every {@link JdbcDatastore} must have, whatever database is under it. A subclass
 * per database supplies {@link #open()} and {@link #connect()}.
 */
abstract class DatastoreContractTest {
  static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
  static final TrustDomain TD = TrustDomain.parse("example.org");
  static final TrustDomain OTHER_TD = TrustDomain.parse("other.example");
  static final SpiffeId AGENT = SpiffeId.parse("spiffe://example.org/agent/node-1");
  static final SpiffeId AGENT_2 = SpiffeId.parse("spiffe://example.org/agent/node-2");
  static final SpiffeId WEB = SpiffeId.parse("spiffe://example.org/ns/default/sa/web");
  static final SpiffeId DB = SpiffeId.parse("spiffe://example.org/ns/default/sa/db");

  /**
   * Opens this test's database, migrating it. Each call within one test opens the same database, so
   * closing and opening again shows what was persisted.
   */
  protected abstract JdbcDatastore open();

  /** A plain JDBC connection to this test's database, to set up what the API cannot. */
  protected abstract Connection connect() throws SQLException;

  /** The datastore under test, opened before each test and closed after it. */
  protected JdbcDatastore store;

  @BeforeEach
  void openStore() {
    store = open();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  /** Closes the datastore and opens the same database again. */
  protected JdbcDatastore reopen() {
    store.close();
    store = open();
    return store;
  }

  // ---- registration entries

  static RegistrationEntry entry(SpiffeId spiffeId, SpiffeId parentId, Instant createdAt) {
    return RegistrationEntry.unassigned(
        spiffeId, parentId, Optional.empty(), List.of(), false, Set.of(), createdAt);
  }

  static RegistrationEntry fullEntry() {
    return RegistrationEntry.unassigned(
        WEB,
        AGENT,
        Optional.of(Duration.ofHours(1)),
        List.of("web.default.svc", "web.example.org", "a.example.org"),
        true,
        Set.of(OTHER_TD, TrustDomain.parse("third.example")),
        T0.plusNanos(123_456_789));
  }

  EntryStore entries() {
    return store.entries();
  }

  @Test
  void entry_create_assignsRandom128BitHexId() {
    RegistrationEntry a = entries().create(entry(WEB, AGENT, T0));
    RegistrationEntry b = entries().create(entry(DB, AGENT, T0));
    assertTrue(a.id().matches("[0-9a-f]{32}"), a.id());
    assertNotEquals(a.id(), b.id());
  }

  @Test
  void entry_create_thenGet_returnsEqualEntryWithEveryField() {
    RegistrationEntry created = entries().create(fullEntry());
    RegistrationEntry read = entries().get(created.id()).orElseThrow();
    assertEquals(created, read);
    assertEquals(Optional.of(Duration.ofHours(1)), read.ttl());
    assertEquals(List.of("web.default.svc", "web.example.org", "a.example.org"), read.dnsNames());
    assertTrue(read.admin());
    assertEquals(Set.of(OTHER_TD, TrustDomain.parse("third.example")), read.federatesWith());
    assertEquals(T0.plusMillis(123), read.createdAt());
  }

  @Test
  void entry_withoutTtlNamesOrFederation_roundTrips() {
    RegistrationEntry created = entries().create(entry(WEB, AGENT, T0));
    RegistrationEntry read = entries().get(created.id()).orElseThrow();
    assertEquals(created, read);
    assertEquals(Optional.empty(), read.ttl());
    assertEquals(List.of(), read.dnsNames());
    assertFalse(read.admin());
  }

  @Test
  void entry_create_withGivenId_keepsIt() {
    RegistrationEntry created = entries().create(entry(WEB, AGENT, T0).withId("my-entry-1"));
    assertEquals("my-entry-1", created.id());
    assertEquals(created, entries().get("my-entry-1").orElseThrow());
  }

  @Test
  void entry_create_sameSpiffeIdAndParent_isAlreadyExists() {
    entries().create(entry(WEB, AGENT, T0));
    TrustbridgeException e =
        assertThrows(
            TrustbridgeException.class,
            () -> entries().create(entry(WEB, AGENT, T0.plusSeconds(1))));
    assertEquals(ErrorCode.ALREADY_EXISTS, e.code());
    assertEquals(1, entries().list().size());
  }

  @Test
  void entry_create_duplicate_messageHasNoSqlOrValues() {
    entries().create(entry(WEB, AGENT, T0));
    TrustbridgeException e =
        assertThrows(TrustbridgeException.class, () -> entries().create(entry(WEB, AGENT, T0)));
    assertEquals(SqlEntryStore.DUPLICATE, e.getMessage());
    assertFalse(e.getMessage().contains("spiffe://"));
  }

  @Test
  void entry_create_sameSpiffeIdUnderAnotherParent_isAllowed() {
    entries().create(entry(WEB, AGENT, T0));
    entries().create(entry(WEB, AGENT_2, T0));
    assertEquals(2, entries().listBySpiffeId(WEB).size());
  }

  @Test
  void entry_create_duplicateId_isAlreadyExists() {
    entries().create(entry(WEB, AGENT, T0).withId("same"));
    assertCode(
        ErrorCode.ALREADY_EXISTS, () -> entries().create(entry(DB, AGENT, T0).withId("same")));
  }

  @Test
  void entry_get_unknownId_isEmpty() {
    assertEquals(Optional.empty(), entries().get("0123456789abcdef0123456789abcdef"));
  }

  @Test
  void entry_list_returnsAllInCreationOrder() {
    RegistrationEntry second = entries().create(entry(WEB, AGENT, T0.plusSeconds(2)));
    RegistrationEntry first = entries().create(entry(DB, AGENT_2, T0.plusSeconds(1)));
    assertEquals(List.of(first, second), entries().list());
  }

  @Test
  void entry_list_emptyStore_isEmpty() {
    assertEquals(List.of(), entries().list());
  }

  @Test
  void entry_listByParent_returnsOnlyThatParentsEntries() {
    RegistrationEntry web = entries().create(fullEntry());
    RegistrationEntry db = entries().create(entry(DB, AGENT, T0.plusSeconds(1)));
    entries().create(entry(WEB, AGENT_2, T0));
    assertEquals(List.of(web, db), entries().listByParent(AGENT));
    assertEquals(List.of(), entries().listByParent(WEB));
  }

  @Test
  void entry_listBySpiffeId_returnsOneEntryPerParent() {
    RegistrationEntry underAgent = entries().create(entry(WEB, AGENT, T0));
    RegistrationEntry underAgent2 = entries().create(entry(WEB, AGENT_2, T0.plusSeconds(1)));
    entries().create(entry(DB, AGENT, T0));
    assertEquals(List.of(underAgent, underAgent2), entries().listBySpiffeId(WEB));
  }

  @Test
  void entry_delete_removesEntryAndReturnsTrueOnlyOnce() {
    RegistrationEntry created = entries().create(fullEntry());
    assertTrue(entries().delete(created.id()));
    assertFalse(entries().delete(created.id()));
    assertEquals(Optional.empty(), entries().get(created.id()));
    assertEquals(List.of(), entries().listByParent(AGENT));
  }

  @Test
  void entry_delete_thenCreateSameIds_succeeds() {
    RegistrationEntry created = entries().create(fullEntry());
    entries().delete(created.id());
    RegistrationEntry again = entries().create(fullEntry().withId(created.id()));
    assertEquals(created, again);
  }

  @Test
  void entry_update_replacesFieldsButKeepsIdAndCreatedAt() {
    RegistrationEntry created = entries().create(fullEntry());
    RegistrationEntry changed =
        new RegistrationEntry(
            created.id(),
            DB,
            AGENT_2,
            Optional.of(Duration.ofMinutes(5)),
            List.of("db.example.org"),
            false,
            Set.of(TrustDomain.parse("fourth.example")),
            T0.plusSeconds(999));
    RegistrationEntry updated = entries().update(changed);
    assertEquals(changed.withCreatedAt(created.createdAt()), updated);
    assertEquals(updated, entries().get(created.id()).orElseThrow());
    assertEquals(List.of(updated), entries().listByParent(AGENT_2));
    assertEquals(List.of(), entries().listByParent(AGENT));
  }

  @Test
  void entry_update_unknownId_isNotFound() {
    assertCode(ErrorCode.NOT_FOUND, () -> entries().update(entry(WEB, AGENT, T0).withId("nope")));
  }

  @Test
  void entry_update_withoutId_isNotFound() {
    assertCode(ErrorCode.NOT_FOUND, () -> entries().update(entry(WEB, AGENT, T0)));
  }

  @Test
  void entry_update_toAnotherEntrysSpiffeIdAndParent_isAlreadyExistsAndChangesNothing() {
    RegistrationEntry web = entries().create(fullEntry());
    RegistrationEntry db = entries().create(entry(DB, AGENT, T0));
    RegistrationEntry clash =
        new RegistrationEntry(
            db.id(), WEB, AGENT, Optional.empty(), List.of("x.example"), false, Set.of(), T0);
    assertCode(ErrorCode.ALREADY_EXISTS, () -> entries().update(clash));
    assertEquals(db, entries().get(db.id()).orElseThrow());
    assertEquals(web, entries().get(web.id()).orElseThrow());
  }

  // ---- join tokens

  static JoinToken token(String secret, Instant expiresAt) {
    return new JoinToken(JoinToken.hashSecret(secret), AGENT, expiresAt, T0);
  }

  JoinTokenStore tokens() {
    return store.joinTokens();
  }

  @Test
  void token_consume_returnsTokenTheFirstTimeOnly() {
    JoinToken token = token("s3cret", T0.plusSeconds(600));
    tokens().create(token);
    assertEquals(Optional.of(token), tokens().consume(token.tokenHash(), T0.plusSeconds(1)));
    assertEquals(Optional.empty(), tokens().consume(token.tokenHash(), T0.plusSeconds(2)));
  }

  @Test
  void token_consume_unknownHash_isEmpty() {
    assertEquals(Optional.empty(), tokens().consume(JoinToken.hashSecret("never"), T0));
  }

  @Test
  void token_consume_expiredToken_isEmptyAndLeftForDeleteExpired() {
    JoinToken token = token("old", T0.plusSeconds(60));
    tokens().create(token);
    assertEquals(Optional.empty(), tokens().consume(token.tokenHash(), T0.plusSeconds(61)));
    assertEquals(1, tokens().deleteExpired(T0.plusSeconds(61)));
  }

  @Test
  void token_consume_atExactExpiry_isEmpty() {
    JoinToken token = token("edge", T0.plusSeconds(60));
    tokens().create(token);
    assertEquals(Optional.empty(), tokens().consume(token.tokenHash(), T0.plusSeconds(60)));
    assertEquals(
        Optional.of(token), tokens().consume(token.tokenHash(), T0.plusSeconds(60).minusMillis(1)));
  }

  @Test
  void token_create_sameHash_isAlreadyExists() {
    tokens().create(token("dup", T0.plusSeconds(60)));
    assertCode(ErrorCode.ALREADY_EXISTS, () -> tokens().create(token("dup", T0.plusSeconds(90))));
  }

  @Test
  void token_deleteExpired_deletesOnlyExpiredTokens() {
    tokens().create(token("a", T0.plusSeconds(10)));
    tokens().create(token("b", T0.plusSeconds(20)));
    JoinToken live = token("c", T0.plusSeconds(30));
    tokens().create(live);
    assertEquals(2, tokens().deleteExpired(T0.plusSeconds(20)));
    assertEquals(0, tokens().deleteExpired(T0.plusSeconds(20)));
    assertEquals(Optional.of(live), tokens().consume(live.tokenHash(), T0.plusSeconds(29)));
  }

  @Test
  void token_consumedConcurrently_eachTokenGoesToExactlyOneCaller() throws Exception {
    int threads = 16;
    int tokenCount = 50;
    List<String> hashes = new ArrayList<>();
    for (int i = 0; i < tokenCount; i++) {
      JoinToken token = token("secret-" + i, T0.plusSeconds(600));
      tokens().create(token);
      hashes.add(token.tokenHash());
    }
    ConcurrentHashMap<String, AtomicInteger> wins = new ConcurrentHashMap<>();
    runConcurrently(
        threads,
        thread -> {
          List<String> order = new ArrayList<>(hashes);
          Collections.shuffle(order, new java.util.Random(thread));
          for (String hash : order) {
            if (tokens().consume(hash, T0.plusSeconds(1)).isPresent()) {
              wins.computeIfAbsent(hash, k -> new AtomicInteger()).incrementAndGet();
            }
          }
        });
    assertEquals(tokenCount, wins.size());
    wins.forEach((hash, count) -> assertEquals(1, count.get(), hash));
  }

  /** Two datastores on one database stand for two processes or replicas sharing it. */
  @Test
  void token_twoDatastoresOnOneDatabase_consumeEachTokenExactlyOnce() throws Exception {
    List<String> hashes = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      JoinToken token = token("shared-" + i, T0.plusSeconds(600));
      store.joinTokens().create(token);
      hashes.add(token.tokenHash());
    }
    ConcurrentHashMap<String, AtomicInteger> wins = new ConcurrentHashMap<>();
    try (JdbcDatastore second = open()) {
      runConcurrently(
          8,
          thread -> {
            JdbcDatastore mine = thread % 2 == 0 ? store : second;
            for (String hash : hashes) {
              if (mine.joinTokens().consume(hash, T0).isPresent()) {
                wins.computeIfAbsent(hash, k -> new AtomicInteger()).incrementAndGet();
              }
            }
          });
    }
    assertEquals(hashes.size(), wins.size());
    wins.forEach((hash, count) -> assertEquals(1, count.get(), hash));
  }

  // ---- authorities

  static final byte[] CERT = "not really DER, but bytes".getBytes(StandardCharsets.US_ASCII);

  static AuthorityRecord authority(String id, TrustDomain td, AuthorityState state, Instant at) {
    return new AuthorityRecord(
        id,
        td,
        AuthorityKind.INTERMEDIATE,
        state,
        "key-" + id,
        CERT,
        Optional.of("root-1"),
        at.plus(Duration.ofDays(30)),
        at,
        at);
  }

  AuthorityStore authorities() {
    return store.authorities();
  }

  @Test
  void authority_insert_thenGet_returnsEqualRecord() {
    AuthorityRecord root =
        new AuthorityRecord(
            "root-1",
            TD,
            AuthorityKind.ROOT,
            AuthorityState.ACTIVE,
            "root-key",
            CERT,
            Optional.empty(),
            T0.plus(Duration.ofDays(3650)),
            T0.plusNanos(5_000_001),
            T0.plusSeconds(1));
    authorities().insert(root);
    AuthorityRecord read = authorities().get("root-1").orElseThrow();
    assertEquals(root, read);
    assertArrayEquals(CERT, read.certificateDer());
    assertEquals(Optional.empty(), read.issuerId());
    assertEquals(T0.plusMillis(5), read.createdAt());
  }

  @Test
  void authority_upstreamChain_isStoredWithTheRecordAndKeptThroughTransitions() {
    byte[] chain = "two certificates, back to back".getBytes(StandardCharsets.US_ASCII);
    AuthorityRecord record =
        new AuthorityRecord(
            "vault-signed",
            TD,
            AuthorityKind.INTERMEDIATE,
            AuthorityState.PREPARED,
            "k",
            CERT,
            Optional.of("upstream-root"),
            T0.plus(Duration.ofDays(10)),
            T0,
            T0,
            chain);
    authorities().insert(record);

    assertEquals(record, authorities().get("vault-signed").orElseThrow());
    assertArrayEquals(chain, authorities().get("vault-signed").orElseThrow().upstreamChainDer());
    authorities()
        .transition(
            "vault-signed", AuthorityState.PREPARED, AuthorityState.ACTIVE, T0.plusSeconds(1));
    assertArrayEquals(chain, authorities().list(TD).get(0).upstreamChainDer());
    // A record without one reads back with none, not null.
    authorities().insert(authority("plain", TD, AuthorityState.PREPARED, T0.plusSeconds(2)));
    assertArrayEquals(new byte[0], authorities().get("plain").orElseThrow().upstreamChainDer());
  }

  @Test
  void authority_certificateBytes_changedByCallerAfterInsert_staySame() {
    byte[] der = CERT.clone();
    AuthorityRecord record =
        new AuthorityRecord(
            "a",
            TD,
            AuthorityKind.ROOT,
            AuthorityState.PREPARED,
            "k",
            der,
            Optional.empty(),
            T0,
            T0,
            T0);
    der[0] ^= 1;
    record.certificateDer()[1] ^= 1;
    authorities().insert(record);
    assertArrayEquals(CERT, authorities().get("a").orElseThrow().certificateDer());
  }

  @Test
  void authority_get_unknownId_isEmpty() {
    assertEquals(Optional.empty(), authorities().get("nope"));
  }

  @Test
  void authority_insert_duplicateId_isAlreadyExists() {
    authorities().insert(authority("a", TD, AuthorityState.PREPARED, T0));
    assertCode(
        ErrorCode.ALREADY_EXISTS,
        () -> authorities().insert(authority("a", OTHER_TD, AuthorityState.ACTIVE, T0)));
  }

  @Test
  void authority_list_returnsOnlyThatTrustDomainOldestFirst() {
    AuthorityRecord newer = authority("b", TD, AuthorityState.PREPARED, T0.plusSeconds(10));
    AuthorityRecord older = authority("c", TD, AuthorityState.ACTIVE, T0);
    AuthorityRecord sameTimeAsOlder = authority("d", TD, AuthorityState.OLD, T0);
    authorities().insert(newer);
    authorities().insert(sameTimeAsOlder);
    authorities().insert(older);
    authorities().insert(authority("a", OTHER_TD, AuthorityState.ACTIVE, T0));
    assertEquals(List.of(older, sameTimeAsOlder, newer), authorities().list(TD));
    assertEquals(List.of(), authorities().list(TrustDomain.parse("none.example")));
  }

  @Test
  void authority_transition_fromExpectedState_changesStateAndUpdatedAt() {
    AuthorityRecord prepared = authority("a", TD, AuthorityState.PREPARED, T0);
    authorities().insert(prepared);
    authorities()
        .transition("a", AuthorityState.PREPARED, AuthorityState.ACTIVE, T0.plusSeconds(60));
    assertEquals(
        prepared.withState(AuthorityState.ACTIVE, T0.plusSeconds(60)),
        authorities().get("a").orElseThrow());
    authorities().transition("a", AuthorityState.ACTIVE, AuthorityState.OLD, T0.plusSeconds(120));
    assertEquals(AuthorityState.OLD, authorities().get("a").orElseThrow().state());
  }

  @Test
  void authority_writesWithAnEvent_storeTheEventWithTheStep() {
    authorities()
        .insert(
            authority("a", TD, AuthorityState.PREPARED, T0),
            event(T0, "authority.prepare", "a", AuditEvent.OK));
    authorities()
        .transition(
            "a",
            AuthorityState.PREPARED,
            AuthorityState.ACTIVE,
            T0.plusSeconds(1),
            event(T0.plusSeconds(1), "authority.activate", "a", AuditEvent.OK));
    authorities()
        .taint("a", T0.plusSeconds(2), event(T0.plusSeconds(2), "authority.taint", "a", "ok"));
    authorities()
        .revoke("a", T0.plusSeconds(3), event(T0.plusSeconds(3), "authority.revoke", "a", "ok"));
    assertEquals(AuthorityState.ACTIVE, authorities().get("a").orElseThrow().state());
    assertTrue(authorities().marks(TD).get("a").revoked());
    assertEquals(
        List.of("authority.revoke", "authority.taint", "authority.activate", "authority.prepare"),
        audit().query(AuditQuery.newest().withSubject("a")).stream()
            .map(AuditEvent::action)
            .toList());
  }

  @Test
  void authority_writesWithANullEvent_areRefusedAndChangeNothing() {
    AuthorityRecord a = authority("a", TD, AuthorityState.PREPARED, T0);
    assertThrows(NullPointerException.class, () -> authorities().insert(a, null));
    assertEquals(Optional.empty(), authorities().get("a"));
    authorities().insert(a);
    assertThrows(
        NullPointerException.class,
        () ->
            authorities()
                .transition("a", AuthorityState.PREPARED, AuthorityState.ACTIVE, T0, null));
    assertThrows(NullPointerException.class, () -> authorities().taint("a", T0, null));
    assertThrows(NullPointerException.class, () -> authorities().revoke("a", T0, null));
    assertEquals(AuthorityState.PREPARED, authorities().get("a").orElseThrow().state());
    assertFalse(authorities().marks(TD).containsKey("a"));
  }

  @Test
  void authority_transitionWithAnEvent_thatDoesNotHappen_storesNoEvent() {
    authorities().insert(authority("a", TD, AuthorityState.ACTIVE, T0));
    AuditEvent activate = event(T0, "authority.activate", "a", AuditEvent.OK);
    TrustbridgeException e =
        assertThrows(
            TrustbridgeException.class,
            () ->
                authorities()
                    .transition("a", AuthorityState.PREPARED, AuthorityState.ACTIVE, T0, activate));
    assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
    assertThrows(
        TrustbridgeException.class,
        () ->
            authorities()
                .transition("none", AuthorityState.PREPARED, AuthorityState.ACTIVE, T0, activate));
    assertThrows(
        TrustbridgeException.class,
        () -> authorities().taint("none", T0, event(T0, "authority.taint", "a", "ok")));
    assertEquals(List.of(), audit().query(AuditQuery.newest().withSubject("a")));
  }

  @Test
  void authority_transition_fromWrongExpectedState_isFailedPreconditionAndChangesNothing() {
    AuthorityRecord active = authority("a", TD, AuthorityState.ACTIVE, T0);
    authorities().insert(active);
    assertCode(
        ErrorCode.FAILED_PRECONDITION,
        () ->
            authorities()
                .transition("a", AuthorityState.PREPARED, AuthorityState.OLD, T0.plusSeconds(5)));
    assertEquals(active, authorities().get("a").orElseThrow());
  }

  @Test
  void authority_transition_backwards_isFailedPreconditionAndChangesNothing() {
    AuthorityRecord active = authority("a", TD, AuthorityState.ACTIVE, T0);
    authorities().insert(active);
    assertCode(
        ErrorCode.FAILED_PRECONDITION,
        () -> authorities().transition("a", AuthorityState.ACTIVE, AuthorityState.PREPARED, T0));
    assertCode(
        ErrorCode.FAILED_PRECONDITION,
        () -> authorities().transition("a", AuthorityState.ACTIVE, AuthorityState.ACTIVE, T0));
    assertEquals(active, authorities().get("a").orElseThrow());
  }

  @Test
  void authority_transition_unknownId_isNotFound() {
    assertCode(
        ErrorCode.NOT_FOUND,
        () -> authorities().transition("nope", AuthorityState.PREPARED, AuthorityState.ACTIVE, T0));
  }

  @Test
  void authority_transition_raceOfManyCallers_exactlyOneWins() throws Exception {
    authorities().insert(authority("a", TD, AuthorityState.PREPARED, T0));
    AtomicInteger wins = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    runConcurrently(
        8,
        thread -> {
          try {
            authorities()
                .transition(
                    "a", AuthorityState.PREPARED, AuthorityState.ACTIVE, T0.plusSeconds(thread));
            wins.incrementAndGet();
          } catch (TrustbridgeException e) {
            assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
            refused.incrementAndGet();
          }
        });
    assertEquals(1, wins.get());
    assertEquals(7, refused.get());
  }

  @Test
  void authority_delete_removesRecordAndIgnoresUnknownId() {
    authorities().insert(authority("a", TD, AuthorityState.OLD, T0));
    authorities().delete("a");
    authorities().delete("a");
    assertEquals(Optional.empty(), authorities().get("a"));
    assertEquals(List.of(), authorities().list(TD));
  }

  // ---- bundle sequence

  static byte[] digest(String content) {
    return content.getBytes(StandardCharsets.UTF_8);
  }

  BundleSequenceStore sequences() {
    return store.bundleSequences();
  }

  @Test
  void sequence_current_unknownTrustDomain_isEmpty() {
    assertEquals(Optional.empty(), sequences().current(TD));
  }

  @Test
  void sequence_advance_firstTime_isOne() {
    assertEquals(BigInteger.ONE, sequences().advance(TD, digest("a")));
    assertEquals(Optional.of(BigInteger.ONE), sequences().current(TD));
  }

  @Test
  void sequence_advance_sameDigest_keepsSequence() {
    sequences().advance(TD, digest("a"));
    assertEquals(BigInteger.ONE, sequences().advance(TD, digest("a")));
    assertEquals(BigInteger.ONE, sequences().advance(TD, digest("a")));
  }

  @Test
  void sequence_advance_newDigest_addsOne() {
    sequences().advance(TD, digest("a"));
    assertEquals(BigInteger.TWO, sequences().advance(TD, digest("b")));
    assertEquals(Optional.of(BigInteger.TWO), sequences().current(TD));
  }

  @Test
  void sequence_advance_backToAnEarlierDigest_stillAddsOne() {
    sequences().advance(TD, digest("a"));
    sequences().advance(TD, digest("b"));
    assertEquals(BigInteger.valueOf(3), sequences().advance(TD, digest("a")));
  }

  @Test
  void sequence_advance_digestThatIsAPrefixOfTheStoredOne_addsOne() {
    sequences().advance(TD, digest("ab"));
    assertEquals(BigInteger.TWO, sequences().advance(TD, digest("a")));
  }

  @Test
  void sequence_isKeptPerTrustDomain() {
    sequences().advance(TD, digest("a"));
    sequences().advance(TD, digest("b"));
    assertEquals(BigInteger.ONE, sequences().advance(OTHER_TD, digest("b")));
    assertEquals(Optional.of(BigInteger.TWO), sequences().current(TD));
  }

  @Test
  void sequence_advance_emptyDigest_isInvalidArgument() {
    assertCode(ErrorCode.INVALID_ARGUMENT, () -> sequences().advance(TD, new byte[0]));
  }

  @Test
  void sequence_survivesReopenAndNeverDecreases() {
    sequences().advance(TD, digest("a"));
    sequences().advance(TD, digest("b"));
    reopen();
    assertEquals(Optional.of(BigInteger.TWO), sequences().current(TD));
    assertEquals(BigInteger.TWO, sequences().advance(TD, digest("b")));
    assertEquals(BigInteger.valueOf(3), sequences().advance(TD, digest("a")));
  }

  @Test
  void sequence_manyRandomChanges_neverDecreaseAndChangeExactlyWithDigest() {
    java.util.Random random = new java.util.Random(42);
    BigInteger last = BigInteger.ZERO;
    String lastContent = null;
    for (int i = 0; i < 200; i++) {
      String content = "bundle-" + random.nextInt(4);
      BigInteger seq = sequences().advance(TD, digest(content));
      if (content.equals(lastContent)) {
        assertEquals(last, seq);
      } else {
        assertEquals(last.add(BigInteger.ONE), seq);
      }
      last = seq;
      lastContent = content;
    }
  }

  @Test
  void sequence_advancedConcurrentlyWithDistinctDigests_givesEachADistinctNumber()
      throws Exception {
    Set<BigInteger> seen = ConcurrentHashMap.newKeySet();
    runConcurrently(
        8,
        thread -> {
          for (int i = 0; i < 25; i++) {
            assertTrue(seen.add(sequences().advance(TD, digest(thread + "/" + i))));
          }
        });
    assertEquals(Optional.of(BigInteger.valueOf(200)), sequences().current(TD));
  }

  // ---- audit log

  AuditLog audit() {
    return store.auditLog();
  }

  static AuditEvent event(Instant at, String action, String subject, String outcome) {
    return AuditEvent.of(at, AGENT.toString(), action, subject, outcome, "");
  }

  @Test
  void audit_append_thenQuery_returnsEventWithAssignedId() {
    AuditEvent event =
        new AuditEvent(
                0,
                T0.plusNanos(1_500_000),
                AGENT.toString(),
                "x509.sign",
                WEB.toString(),
                AuditEvent.OK,
                "issued",
                Optional.empty(),
                Optional.empty())
            .withIssued("0a1b2c", T0.plusSeconds(3600));
    audit().append(event);
    List<AuditEvent> found = audit().query(AuditQuery.newest());
    assertEquals(1, found.size());
    AuditEvent read = found.get(0);
    assertTrue(read.id() > 0);
    assertEquals(event.withId(read.id()), read);
    assertEquals(T0.plusMillis(1), read.at());
    assertEquals(Optional.of("0a1b2c"), read.serial());
  }

  @Test
  void audit_append_ignoresIdOfTheEvent() {
    audit().append(event(T0, "entry.create", "", AuditEvent.OK).withId(77));
    audit().append(event(T0, "entry.create", "", AuditEvent.OK).withId(77));
    List<AuditEvent> found = audit().query(AuditQuery.newest());
    assertNotEquals(found.get(0).id(), found.get(1).id());
  }

  @Test
  void audit_query_returnsNewestFirst() {
    audit().append(event(T0.plusSeconds(1), "a", "", AuditEvent.OK));
    audit().append(event(T0.plusSeconds(3), "c", "", AuditEvent.OK));
    audit().append(event(T0.plusSeconds(2), "b", "", AuditEvent.OK));
    assertEquals(List.of("c", "b", "a"), actions(audit().query(AuditQuery.newest())));
  }

  @Test
  void audit_query_eventsAtTheSameInstant_latestAppendedFirst() {
    audit().append(event(T0, "first", "", AuditEvent.OK));
    audit().append(event(T0, "second", "", AuditEvent.OK));
    assertEquals(List.of("second", "first"), actions(audit().query(AuditQuery.newest())));
  }

  @Test
  void audit_query_sinceIsInclusiveAndUntilExclusive() {
    for (int i = 0; i < 5; i++) {
      audit().append(event(T0.plusSeconds(i), "e" + i, "", AuditEvent.OK));
    }
    AuditQuery window =
        AuditQuery.newest().withSince(T0.plusSeconds(1)).withUntil(T0.plusSeconds(3));
    assertEquals(List.of("e2", "e1"), actions(audit().query(window)));
  }

  @Test
  void audit_query_filtersBySubjectActionAndOutcome() {
    audit().append(event(T0, "x509.sign", WEB.toString(), AuditEvent.OK));
    audit().append(event(T0.plusSeconds(1), "x509.sign", WEB.toString(), AuditEvent.DENIED));
    audit().append(event(T0.plusSeconds(2), "x509.sign", DB.toString(), AuditEvent.OK));
    audit().append(event(T0.plusSeconds(3), "entry.create", WEB.toString(), AuditEvent.OK));
    assertEquals(3, audit().query(AuditQuery.newest().withSubject(WEB.toString())).size());
    assertEquals(3, audit().query(AuditQuery.newest().withAction("x509.sign")).size());
    assertEquals(1, audit().query(AuditQuery.newest().withOutcome(AuditEvent.DENIED)).size());
    List<AuditEvent> all =
        audit()
            .query(
                AuditQuery.newest()
                    .withSubject(WEB.toString())
                    .withAction("x509.sign")
                    .withOutcome(AuditEvent.OK));
    assertEquals(1, all.size());
    assertEquals(T0, all.get(0).at());
    assertEquals(List.of(), audit().query(AuditQuery.newest().withSubject("spiffe://none")));
  }

  @Test
  void audit_query_returnsAtMostLimitNewestEvents() {
    for (int i = 0; i < 120; i++) {
      audit().append(event(T0.plusSeconds(i), "e" + i, "", AuditEvent.OK));
    }
    List<AuditEvent> defaultLimit = audit().query(AuditQuery.newest());
    assertEquals(AuditQuery.DEFAULT_LIMIT, defaultLimit.size());
    assertEquals("e119", defaultLimit.get(0).action());
    assertEquals(
        List.of("e119", "e118", "e117"), actions(audit().query(AuditQuery.newest().withLimit(3))));
  }

  @Test
  void audit_query_limitOutsideOneToTenThousand_isInvalidArgument() {
    assertCode(ErrorCode.INVALID_ARGUMENT, () -> AuditQuery.newest().withLimit(0));
    assertCode(ErrorCode.INVALID_ARGUMENT, () -> AuditQuery.newest().withLimit(10_001));
    assertEquals(10_000, AuditQuery.newest().withLimit(10_000).limit());
  }

  static List<String> actions(List<AuditEvent> events) {
    return events.stream().map(AuditEvent::action).toList();
  }

  // ---- schema, lifecycle, errors

  @Test
  void migrations_freshDatabase_isAtLatestVersionWithOneRowPerMigration() throws SQLException {
    assertTrue(store.schemaVersion() >= 1);
    assertEquals(versions(store.schemaVersion()), schemaVersions());
  }

  @Test
  void migrations_reopen_appliesNothingAgainAndKeepsData() throws SQLException {
    RegistrationEntry created = entries().create(fullEntry());
    List<Integer> before = schemaVersions();
    reopen();
    reopen();
    assertEquals(before, schemaVersions());
    assertEquals(Optional.of(created), entries().get(created.id()));
  }

  @Test
  void migrations_databaseWithNewerSchema_isRefusedWithFailedPrecondition() throws SQLException {
    store.close();
    try (Connection c = connect();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)")) {
      ps.setInt(1, 999);
      ps.setString(2, "from_the_future");
      ps.setLong(3, T0.toEpochMilli());
      ps.executeUpdate();
    }
    TrustbridgeException e = assertThrows(TrustbridgeException.class, this::open);
    assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
    assertTrue(e.getMessage().contains("999"), e.getMessage());
    // store stays the closed one; closing it again after the test is harmless
  }

  @Test
  void close_thenUsingAnyStore_isUnavailable() {
    store.close();
    assertUnavailable(() -> entries().create(entry(WEB, AGENT, T0)));
    assertUnavailable(() -> entries().get("x"));
    assertUnavailable(() -> entries().list());
    assertUnavailable(() -> entries().listByParent(AGENT));
    assertUnavailable(() -> entries().listBySpiffeId(WEB));
    assertUnavailable(() -> entries().update(entry(WEB, AGENT, T0).withId("x")));
    assertUnavailable(() -> entries().delete("x"));
    assertUnavailable(() -> tokens().create(token("a", T0.plusSeconds(1))));
    assertUnavailable(() -> tokens().consume(JoinToken.hashSecret("a"), T0));
    assertUnavailable(() -> tokens().deleteExpired(T0));
    assertUnavailable(() -> authorities().insert(authority("a", TD, AuthorityState.PREPARED, T0)));
    assertUnavailable(() -> authorities().list(TD));
    assertUnavailable(() -> authorities().get("a"));
    assertUnavailable(
        () -> authorities().transition("a", AuthorityState.PREPARED, AuthorityState.ACTIVE, T0));
    assertUnavailable(() -> authorities().delete("a"));
    assertUnavailable(() -> sequences().advance(TD, digest("a")));
    assertUnavailable(() -> sequences().current(TD));
    assertUnavailable(() -> audit().append(event(T0, "a", "", AuditEvent.OK)));
    assertUnavailable(() -> audit().query(AuditQuery.newest()));
  }

  @Test
  void close_twice_isHarmless() {
    store.close();
    store.close();
  }

  @Test
  void everyStore_dataSurvivesReopen() {
    RegistrationEntry entry = entries().create(fullEntry());
    JoinToken token = token("persist", T0.plusSeconds(600));
    tokens().create(token);
    AuthorityRecord authority = authority("a", TD, AuthorityState.ACTIVE, T0);
    authorities().insert(authority);
    sequences().advance(TD, digest("a"));
    audit().append(event(T0, "entry.create", WEB.toString(), AuditEvent.OK));
    reopen();
    assertEquals(List.of(entry), entries().list());
    assertEquals(Optional.of(token), tokens().consume(token.tokenHash(), T0));
    assertEquals(List.of(authority), authorities().list(TD));
    assertEquals(Optional.of(BigInteger.ONE), sequences().current(TD));
    assertEquals(List.of("entry.create"), actions(audit().query(AuditQuery.newest())));
  }

  @Test
  void mixedCallsFromManyThreads_allSucceed() throws Exception {
    runConcurrently(
        8,
        thread -> {
          for (int i = 0; i < 20; i++) {
            SpiffeId id = SpiffeId.parse("spiffe://example.org/t" + thread + "/w" + i);
            RegistrationEntry e = entries().create(entry(id, AGENT, T0));
            assertEquals(Optional.of(e), entries().get(e.id()));
            audit().append(event(T0, "entry.create", id.toString(), AuditEvent.OK));
            sequences().advance(OTHER_TD, digest(thread + "/" + i));
          }
        });
    assertEquals(160, entries().listByParent(AGENT).size());
    assertEquals(160, audit().query(AuditQuery.newest().withLimit(1000)).size());
  }

  // ---- helpers

  List<Integer> schemaVersions() throws SQLException {
    List<Integer> versions = new ArrayList<>();
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT version FROM schema_version ORDER BY version")) {
      while (rs.next()) {
        versions.add(rs.getInt(1));
      }
    }
    return versions;
  }

  static List<Integer> versions(int latest) {
    List<Integer> versions = new ArrayList<>();
    for (int v = 1; v <= latest; v++) {
      versions.add(v);
    }
    return versions;
  }

  static void assertCode(ErrorCode code, Executable call) {
    TrustbridgeException e = assertThrows(TrustbridgeException.class, call);
    assertEquals(code, e.code(), e.getMessage());
  }

  static void assertUnavailable(Executable call) {
    TrustbridgeException e = assertThrows(TrustbridgeException.class, call);
    assertEquals(ErrorCode.UNAVAILABLE, e.code());
    assertEquals("datastore unavailable", e.getMessage());
  }

  /** A task run by one of several threads started together; gets the thread's number. */
  @FunctionalInterface
  interface ThreadTask {
    void run(int thread) throws Exception;
  }

  /** Runs {@code task} on {@code threads} threads released at once; rethrows the first failure. */
  static void runConcurrently(int threads, ThreadTask task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Void>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        Callable<Void> call =
            () -> {
              start.await();
              task.run(thread);
              return null;
            };
        futures.add(pool.submit(call));
      }
      start.countDown();
      for (Future<Void> f : futures) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
