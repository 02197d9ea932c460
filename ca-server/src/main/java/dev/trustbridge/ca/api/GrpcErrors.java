package dev.trustbridge.ca.api;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where errors become gRPC statuses. A {@link TrustbridgeException} keeps its
 * message; anything else is an INTERNAL error with a correlation id that is logged with the stack
 * trace and shown to the caller instead of it.
 */
public final class GrpcErrors {
  private static final Logger LOG = LoggerFactory.getLogger(GrpcErrors.class);

  private GrpcErrors() {}

  /** The status for an error code. */
  public static Status.Code code(ErrorCode code) {
    return switch (code) {
      case INVALID_ARGUMENT -> Status.Code.INVALID_ARGUMENT;
      case UNAUTHENTICATED -> Status.Code.UNAUTHENTICATED;
      case PERMISSION_DENIED -> Status.Code.PERMISSION_DENIED;
      case NOT_FOUND -> Status.Code.NOT_FOUND;
      case ALREADY_EXISTS -> Status.Code.ALREADY_EXISTS;
      case FAILED_PRECONDITION -> Status.Code.FAILED_PRECONDITION;
      case UNAVAILABLE -> Status.Code.UNAVAILABLE;
      case RESOURCE_EXHAUSTED -> Status.Code.RESOURCE_EXHAUSTED;
      case INTERNAL -> Status.Code.INTERNAL;
    };
  }

  /** Converts any throwable into the exception to pass to {@code onError}. */
  public static StatusRuntimeException toStatus(Throwable error) {
    if (error instanceof StatusRuntimeException sre) {
      return sre;
    }
    if (error instanceof StatusException se) {
      return se.getStatus().asRuntimeException(se.getTrailers());
    }
    if (error instanceof TrustbridgeException te && te.code() != ErrorCode.INTERNAL) {
      if (te.code() == ErrorCode.UNAVAILABLE) {
        LOG.warn("backend unavailable: {}", te.getMessage(), te.getCause());
      }
      return Status.fromCode(code(te.code())).withDescription(te.getMessage()).asRuntimeException();
    }
    String correlationId = UUID.randomUUID().toString();
    LOG.error("internal error correlation_id={}", correlationId, error);
    return Status.INTERNAL
        .withDescription("internal error; correlation id " + correlationId)
        .asRuntimeException();
  }
}
