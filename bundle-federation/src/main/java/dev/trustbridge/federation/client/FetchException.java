package dev.trustbridge.federation.client;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;

/** A poll failed; the message is recorded in the relationship state and never holds the body. */
final class FetchException extends TrustbridgeException {
  private static final long serialVersionUID = 1L;

  static final String CONNECT_FAILED = "connection failed";
  static final String CONNECT_TIMEOUT = "connection timed out";
  static final String TIMEOUT = "response not complete within the read timeout";
  static final String TLS_FAILED = "TLS handshake failed";
  static final String TOO_LARGE = "response body exceeds the size limit";
  static final String HTTP_STATUS = "unexpected HTTP status";
  static final String REDIRECT_NO_LOCATION = "redirect without a Location header";
  static final String REDIRECT_INVALID = "redirect to an invalid bundle endpoint URL";
  static final String TOO_MANY_REDIRECTS = "too many redirects";
  static final String BUNDLE_REJECTED = "bundle rejected";
  static final String SEQUENCE_DECREASED = "spiffe_sequence is lower than the stored bundle's";
  static final String IO_ERROR = "I/O error";
  static final String STORE_FAILED = "storing the bundle failed";

  FetchException(ErrorCode code, String message) {
    super(code, message);
  }

  FetchException(ErrorCode code, String message, Throwable cause) {
    super(code, message, cause);
  }

  /** {@code prefix: detail}, with the detail cut to a sane length. */
  static String detail(String prefix, String detail) {
    if (detail == null || detail.isBlank()) {
      return prefix;
    }
    String d = detail.length() > 300 ? detail.substring(0, 300) + "..." : detail;
    return prefix + ": " + d;
  }
}
