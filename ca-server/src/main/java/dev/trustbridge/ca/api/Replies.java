package dev.trustbridge.ca.api;

import dev.trustbridge.ca.audit.GroupCommitAuditLog;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;

/** Answers a unary call from a result that completes later (an issuance whose record is stored). */
final class Replies {
  private Replies() {}

  /**
   * Sends {@code reply(result)} and completes the call, or the result's failure as a status, on
   * {@code executor} once {@code pending} completes. The thread that completes it (the audit
   * writer) only hands over.
   */
  static <T, R> void whenDone(
      CompletableFuture<T> pending,
      Function<T, R> reply,
      StreamObserver<R> response,
      Executor executor) {
    pending.whenCompleteAsync(
        (result, failure) -> {
          if (failure != null) {
            response.onError(GrpcErrors.toStatus(GroupCommitAuditLog.unwrap(failure)));
            return;
          }
          try {
            response.onNext(reply.apply(result));
            response.onCompleted();
          } catch (RuntimeException e) {
            response.onError(GrpcErrors.toStatus(e));
          }
        },
        executor);
  }
}
