package dev.trustbridge.ca.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Database} with reader connections: reads run beside a write, never behind it. */
class DatabaseReadersTest {
  @TempDir Path dir;

  private final List<Connection> opened = new ArrayList<>();
  private final AtomicInteger readersOpened = new AtomicInteger();
  private Database db;

  private Connection connect() throws SQLException {
    Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("t.db"));
    opened.add(c);
    return c;
  }

  @BeforeEach
  void open() throws SQLException {
    Connection writer = connect();
    try (Statement s = writer.createStatement()) {
      s.execute("PRAGMA journal_mode = WAL");
      s.execute("CREATE TABLE t (v INTEGER)");
    }
    db =
        new Database(
            Dialect.SQLITE,
            writer,
            () -> {
              readersOpened.incrementAndGet();
              return connect();
            },
            2);
  }

  @AfterEach
  void close() throws SQLException {
    db.close();
    for (Connection c : opened) {
      c.close();
    }
  }

  private int count() {
    return db.read(
        c -> {
          try (Statement s = c.createStatement();
              ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM t")) {
            rs.next();
            return rs.getInt(1);
          }
        });
  }

  private void insert() {
    db.write(
        c -> {
          try (Statement s = c.createStatement()) {
            return s.executeUpdate("INSERT INTO t VALUES (1)");
          }
        });
  }

  @Test
  void read_whileAWriteIsInProgress_doesNotWaitAndSeesLastCommit() throws Exception {
    insert();
    CountDownLatch writing = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);
    CompletableFuture<Object> write =
        CompletableFuture.supplyAsync(
            () ->
                db.write(
                    c -> {
                      try (Statement s = c.createStatement()) {
                        s.executeUpdate("INSERT INTO t VALUES (2)");
                      }
                      writing.countDown();
                      try {
                        finish.await();
                      } catch (InterruptedException e) {
                        throw new SQLException(e);
                      }
                      return null;
                    }));
    assertTrue(writing.await(5, TimeUnit.SECONDS));
    // The writer holds the write lock and the connection lock; the read still completes.
    assertEquals(1, CompletableFuture.supplyAsync(this::count).get(5, TimeUnit.SECONDS));
    finish.countDown();
    write.get(5, TimeUnit.SECONDS);
    assertEquals(2, count());
  }

  @Test
  void read_manyTimes_reusesAtMostMaxReadersConnections() throws Exception {
    List<CompletableFuture<Integer>> reads = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      reads.add(CompletableFuture.supplyAsync(this::count));
    }
    for (CompletableFuture<Integer> read : reads) {
      assertEquals(0, read.get(5, TimeUnit.SECONDS));
    }
    assertTrue(readersOpened.get() <= 2, "opened " + readersOpened.get());
  }

  @Test
  void read_failingStatement_isInternalAndTheNextReadWorks() {
    TrustbridgeException e =
        assertThrows(
            TrustbridgeException.class,
            () ->
                db.read(
                    c -> {
                      try (Statement s = c.createStatement()) {
                        return s.executeQuery("SELECT nope FROM missing").next();
                      }
                    }));
    assertEquals(ErrorCode.INTERNAL, e.code());
    assertEquals(0, count());
  }

  @Test
  void writeCommits_countsCommittedWritesOnly() {
    insert();
    insert();
    count();
    assertEquals(2, db.writeCommits());
  }

  @Test
  void close_thenRead_isUnavailableAndReadersAreClosed() throws SQLException {
    count();
    db.close();
    TrustbridgeException e = assertThrows(TrustbridgeException.class, this::count);
    assertEquals(ErrorCode.UNAVAILABLE, e.code());
    assertEquals(Database.UNAVAILABLE_MESSAGE, e.getMessage());
    for (Connection c : opened) {
      assertTrue(c.isClosed());
    }
  }

  @Test
  void prepared_isCompiledOncePerConnection_withParametersCleared() {
    db.write(
        c -> {
          java.sql.PreparedStatement first = db.prepared(c, "INSERT INTO t VALUES (?)");
          first.setInt(1, 7);
          first.executeUpdate();
          java.sql.PreparedStatement again = db.prepared(c, "INSERT INTO t VALUES (?)");
          assertTrue(first == again, "the same statement object is reused");
          // The last call's parameter is gone: executing without binding inserts NULL.
          again.executeUpdate();
          return null;
        });
    assertEquals(
        List.of("7", "null"),
        db.read(
            c -> {
              List<String> values = new ArrayList<>();
              try (ResultSet rs = db.prepared(c, "SELECT v FROM t ORDER BY rowid").executeQuery()) {
                while (rs.next()) {
                  values.add(String.valueOf(rs.getObject(1)));
                }
              }
              return values;
            }));
  }

  @Test
  void prepared_statementsOfAClosedDatabase_areClosed() throws SQLException {
    java.sql.PreparedStatement[] kept = new java.sql.PreparedStatement[1];
    db.write(
        c -> {
          kept[0] = db.prepared(c, "INSERT INTO t VALUES (1)");
          return kept[0].executeUpdate();
        });
    db.close();
    assertTrue(kept[0].isClosed());
  }
}
