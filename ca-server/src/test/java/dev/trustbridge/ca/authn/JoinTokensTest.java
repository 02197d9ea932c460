package dev.trustbridge.ca.authn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.ca.authority.MutableClock;
import dev.trustbridge.ca.store.JdbcDatastore;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JoinTokensTest {
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
  private static final SpiffeId AGENT = SpiffeId.parse("spiffe://td/agent/node-1");
  private static final Duration TTL = Duration.ofMinutes(10);

  @TempDir Path dir;

  private MutableClock clock;
  private JdbcDatastore datastore;
  private JoinTokens tokens;

  @BeforeEach
  void open() {
    clock = new MutableClock(T0);
    datastore = JdbcDatastore.openSqlite(dir.resolve("trustbridge.db"), clock);
    tokens = new JoinTokens(datastore.joinTokens(), clock);
  }

  @AfterEach
  void close() {
    datastore.close();
  }

  private static void assertInvalid(String token, JoinTokens tokens) {
    TrustbridgeException e = assertThrows(TrustbridgeException.class, () -> tokens.redeem(token));
    assertEquals(ErrorCode.UNAUTHENTICATED, e.code());
    assertEquals(JoinTokens.INVALID, e.getMessage());
  }

  @Test
  void create_thenRedeem_grantsTheAgentIdOnce() {
    JoinTokens.Created created = tokens.create(AGENT, TTL);

    Caller.JoinTokenAgent agent = tokens.redeem(created.token());

    assertEquals(AGENT, agent.spiffeId());
    assertEquals(T0.plus(TTL), created.expiresAt());
    assertInvalid(created.token(), tokens);
  }

  @Test
  void redeem_usedUnknownAndExpiredTokens_allFailWithTheSameMessage() {
    JoinTokens.Created used = tokens.create(AGENT, TTL);
    tokens.redeem(used.token());
    JoinTokens.Created expiring = tokens.create(AGENT, TTL);
    clock.advance(TTL);

    assertInvalid(used.token(), tokens);
    assertInvalid("never-issued-" + used.token(), tokens);
    assertInvalid("", tokens);
    assertInvalid(expiring.token(), tokens);
  }

  @Test
  void redeem_justBeforeExpiry_works_andAtExpiry_fails() {
    JoinTokens.Created early = tokens.create(AGENT, TTL);
    JoinTokens.Created late = tokens.create(AGENT, TTL);

    clock.advance(TTL.minusMillis(1));
    assertEquals(AGENT, tokens.redeem(early.token()).spiffeId());

    clock.advance(Duration.ofMillis(1));
    assertInvalid(late.token(), tokens);
  }

  @Test
  void redeem_expiredToken_staysInvalidWhenTheClockGoesBack() {
    // An expired token is left in the store for deleteExpired; it must not be consumed by the
    // failed attempt nor become valid again, and once swept it is gone for good.
    JoinTokens.Created created = tokens.create(AGENT, TTL);
    clock.advance(TTL.plusSeconds(1));
    assertInvalid(created.token(), tokens);
    assertEquals(1, datastore.joinTokens().deleteExpired(clock.instant()));

    clock.set(T0);
    assertInvalid(created.token(), tokens);
  }

  @Test
  void create_nonPositiveTtl_isRejected() {
    for (Duration ttl : List.of(Duration.ZERO, Duration.ofSeconds(-1))) {
      TrustbridgeException e =
          assertThrows(TrustbridgeException.class, () -> tokens.create(AGENT, ttl));
      assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
      assertEquals("join token TTL must be positive", e.getMessage());
    }
  }

  @Test
  void create_tokensAreRandomAndUrlSafe() {
    String a = tokens.create(AGENT, TTL).token();
    String b = tokens.create(AGENT, TTL).token();

    assertNotEquals(a, b);
    assertTrue(a.matches("[A-Za-z0-9_-]{43}"), a); // 256 bits, base64url without padding
  }

  @Test
  void redeem_32ThreadsRacingForOneToken_exactlyOneSucceeds() throws Exception {
    JoinTokens.Created created = tokens.create(AGENT, TTL);
    int threads = 32;
    CountDownLatch ready = new CountDownLatch(threads);
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        Callable<Boolean> attempt =
            () -> {
              ready.countDown();
              go.await();
              try {
                return tokens.redeem(created.token()).spiffeId().equals(AGENT);
              } catch (TrustbridgeException e) {
                if (e.code() != ErrorCode.UNAUTHENTICATED) {
                  throw e;
                }
                return false;
              }
            };
        results.add(pool.submit(attempt));
      }
      assertTrue(ready.await(10, TimeUnit.SECONDS));
      go.countDown();
      int winners = 0;
      for (Future<Boolean> result : results) {
        winners += result.get(30, TimeUnit.SECONDS) ? 1 : 0;
      }
      assertEquals(1, winners);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void create_storesOnlyTheHashOfTheToken() throws Exception {
    JoinTokens.Created created = tokens.create(AGENT, TTL);
    Path db = dir.resolve("trustbridge.db");

    List<List<String>> rows = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT * FROM join_token")) {
      ResultSetMetaData meta = rs.getMetaData();
      while (rs.next()) {
        List<String> row = new ArrayList<>();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
          row.add(String.valueOf(rs.getObject(i)));
        }
        rows.add(row);
      }
    }
    assertEquals(1, rows.size());
    assertTrue(rows.get(0).contains(JoinToken.hashSecret(created.token())), rows.toString());
    for (String value : rows.get(0)) {
      assertFalse(value.contains(created.token()), "stored value reveals the token: " + value);
    }
    // Nor is it anywhere in the database files (the main file and the write-ahead log).
    byte[] secret = created.token().getBytes(StandardCharsets.US_ASCII);
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.toList()) {
        assertFalse(contains(Files.readAllBytes(file), secret), file + " holds the token");
      }
    }
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
