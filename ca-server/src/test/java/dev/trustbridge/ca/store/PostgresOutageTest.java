package dev.trustbridge.ca.store;

import static dev.trustbridge.ca.store.DatastoreContractTest.AGENT;
import static dev.trustbridge.ca.store.DatastoreContractTest.T0;
import static dev.trustbridge.ca.store.DatastoreContractTest.TD;
import static dev.trustbridge.ca.store.DatastoreContractTest.WEB;
import static dev.trustbridge.ca.store.DatastoreContractTest.assertUnavailable;
import static dev.trustbridge.ca.store.DatastoreContractTest.entry;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.ca.audit.AuditEvent;
import dev.trustbridge.ca.audit.AuditQuery;
import dev.trustbridge.ca.authn.JoinToken;
import dev.trustbridge.ca.entry.RegistrationEntry;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A running datastore whose PostgreSQL goes away: callers get {@code UNAVAILABLE} while it is gone,
 * and the same datastore serves them again once it is back, without being reopened.
 */
class PostgresOutageTest {
  static final Clock CLOCK = Clock.fixed(T0, ZoneOffset.UTC);

  @RegisterExtension static final TestPostgres postgres = new TestPostgres();

  private JdbcDatastore store;

  @BeforeEach
  void open() {
    store = postgres.open(postgres.newSchema(), CLOCK);
  }

  @AfterEach
  void close() {
    store.close();
  }

  private static JoinToken token(String secret) {
    return DatastoreContractTest.token(secret, T0.plusSeconds(600));
  }

  private static AuditEvent event(String subject) {
    return AuditEvent.of(T0, "test", "x509.sign", subject, AuditEvent.OK, "");
  }

  /** Several connections in the pool, as after concurrent calls. */
  private void warmUp() throws Exception {
    DatastoreContractTest.runConcurrently(
        4,
        thread -> {
          for (int i = 0; i < 5; i++) {
            store.entries().list();
          }
        });
  }

  @Test
  void databaseStoppedThenStarted_callsAreUnavailableThenServedAgain() throws Exception {
    RegistrationEntry entry = store.entries().create(entry(WEB, AGENT, T0));
    store.joinTokens().create(token("before"));
    warmUp();

    long stoppedAt = System.nanoTime();
    postgres.stop();
    try {
      assertUnavailable(() -> store.entries().list());
      assertUnavailable(() -> store.entries().create(entry(AGENT, AGENT, T0)));
      assertUnavailable(() -> store.joinTokens().consume(JoinToken.hashSecret("before"), T0));
      assertUnavailable(() -> store.authorities().list(TD));
      assertUnavailable(() -> store.bundleSequences().current(TD));
      assertUnavailable(() -> store.auditLog().append(event("during")));
      assertUnavailable(() -> store.policies().current());
      assertUnavailable(() -> store.relationships().list());
    } finally {
      // Connections that outlived the server have been idle at least this long once it is back.
      Duration idle = PostgresConnections.VALIDATE_AFTER_IDLE.plusMillis(100);
      long left = idle.toNanos() - (System.nanoTime() - stoppedAt);
      if (left > 0) {
        Thread.sleep(left / 1_000_000 + 1);
      }
      postgres.restart();
    }

    // The very first call is served: a connection that died with the server is not handed out.
    assertEquals(List.of(entry), store.entries().list());
    assertEquals(
        Optional.of(token("before")),
        store.joinTokens().consume(JoinToken.hashSecret("before"), T0));
    store.auditLog().append(event("after"));
    assertEquals(
        List.of("after"),
        store.auditLog().query(AuditQuery.newest()).stream().map(AuditEvent::subject).toList());
  }

  @Test
  void connectionsDroppedByTheServer_areReplacedNotReused() throws Exception {
    warmUp();
    postgres.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            + " WHERE application_name = 'trustbridge'");
    // Straight away each dropped connection may fail the call that finds it dead, once: it is
    // closed, not returned to the pool, so a call is soon served and every later one too.
    int failures = 0;
    boolean served = false;
    for (int call = 0; call <= PostgresConnections.MAX_CONNECTIONS && !served; call++) {
      try {
        store.entries().list();
        served = true;
      } catch (TrustbridgeException e) {
        assertEquals(ErrorCode.UNAVAILABLE, e.code());
        failures++;
      }
    }
    assertTrue(served, "no call served after " + failures + " failures");
    for (int call = 0; call < 3 * PostgresConnections.MAX_CONNECTIONS; call++) {
      store.entries().list();
    }
  }

  @Test
  void connectionsDroppedWhileIdle_costNoCallerAnError() throws Exception {
    warmUp();
    postgres.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            + " WHERE application_name = 'trustbridge'");
    Thread.sleep(PostgresConnections.VALIDATE_AFTER_IDLE.toMillis() + 100);
    for (int call = 0; call < 3 * PostgresConnections.MAX_CONNECTIONS; call++) {
      store.entries().list();
    }
  }
}
