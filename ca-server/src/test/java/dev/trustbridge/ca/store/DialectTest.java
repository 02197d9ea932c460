package dev.trustbridge.ca.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.trustbridge.spiffe.error.ErrorCode;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What PostgreSQL's SQLStates mean to a caller (the SQLite codes are met in its own tests). */
class DialectTest {
  @ParameterizedTest
  @CsvSource({
    "08001, UNAVAILABLE", // cannot connect
    "08006, UNAVAILABLE", // connection failure
    "08003, UNAVAILABLE", // connection does not exist
    "53100, UNAVAILABLE", // disk full
    "53200, UNAVAILABLE", // out of memory
    "53300, UNAVAILABLE", // too many connections
    "57P01, UNAVAILABLE", // admin shutdown
    "57P02, UNAVAILABLE", // crash shutdown
    "57P03, UNAVAILABLE", // cannot connect now
    "40001, UNAVAILABLE", // serialization failure
    "40P01, UNAVAILABLE", // deadlock detected
    "23505, UNIQUE_VIOLATION", // unique violation
    "23503, OTHER", // foreign key violation
    "23514, OTHER", // check violation
    "42P01, OTHER", // undefined table
    "57014, OTHER", // query canceled
    "28P01, OTHER", // invalid password (at open it has a message of its own)
    "XX001, OTHER" // data corrupted
  })
  void postgresql_classify_bySqlState(String state, Dialect.Failure expected) {
    assertEquals(expected, Dialect.POSTGRESQL.classify(new SQLException("x", state)));
  }

  @ParameterizedTest
  @CsvSource({
    "57P01, UNAVAILABLE, datastore unavailable",
    "23505, INTERNAL, datastore error",
    "XX001, INTERNAL, datastore error"
  })
  void postgresql_translate_givesTheCodeAndAMessageWithoutTheServersText(
      String state, ErrorCode code, String message) {
    var e =
        Database.translate(
            Dialect.POSTGRESQL,
            new SQLException("duplicate key value (token_hash)=(secret)", state),
            null);
    assertEquals(code, e.code());
    assertEquals(message, e.getMessage());
  }

  @ParameterizedTest
  @CsvSource({"23505, ALREADY_EXISTS", "23503, INTERNAL"})
  void postgresql_translate_uniqueViolationWithAMessage_isAlreadyExists(
      String state, ErrorCode code) {
    assertEquals(
        code,
        Database.translate(Dialect.POSTGRESQL, new SQLException("x", state), "exists").code());
  }

  @Test
  void postgresql_classify_withoutSqlState_isOther() {
    assertEquals(Dialect.Failure.OTHER, Dialect.POSTGRESQL.classify(new SQLException("x")));
  }
}
