package dev.trustbridge.ca.server;

import dev.trustbridge.ca.authn.AuthenticationInterceptor;
import dev.trustbridge.proto.ca.v1.CertificateAuthorityGrpc;
import dev.trustbridge.proto.istio.v1.auth.IstioCertificateServiceGrpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads gRPC calls run on: issuance on a pool of one thread per core, everything that may
 * block on I/O on a pool that grows as needed.
 *
 * <p>An issuance does not hold its thread while its audit record is made durable ({@link
 * dev.trustbridge.ca.issuance.X509SvidIssuer#issueAsync}): its work is CPU only (checks, one CSR
 * verify, one sign, one verify of the new leaf), so as many threads as cores is enough, and a
 * work-stealing pool hands work over without waking a parked thread per call. On gRPC's default
 * (cached) pool, one thread per call in flight parked and woke twice per call; at 64 calls in
 * flight that hand-over cost about a fifth of the server's CPU. The same pool sends the answers
 * once their audit records are stored, and it is the server's default executor, so that gRPC's own
 * step of finding a call's method does not go through a cached pool either.
 *
 * <p>Only {@code SignX509Svid} and Istio's {@code CreateCertificate} from callers authenticated by
 * their TLS session stay on it. A call with an {@code authorization} header (a join token, whose
 * consumption is a durable write, or a JWT, whose key set may be fetched) and every other method
 * (admin writes, bundle watches) run on the growing pool, so nothing that waits on I/O holds one of
 * the per-core threads.
 */
final class CallExecutors implements ServerCallExecutorSupplier, AutoCloseable {
  private static final Set<String> ISSUANCE_METHODS =
      Set.of(
          CertificateAuthorityGrpc.getSignX509SvidMethod().getFullMethodName(),
          IstioCertificateServiceGrpc.getCreateCertificateMethod().getFullMethodName());

  private final ForkJoinPool issuance;
  private final ExecutorService blocking;

  CallExecutors() {
    AtomicInteger issuanceThreads = new AtomicInteger();
    this.issuance =
        new ForkJoinPool(
            Runtime.getRuntime().availableProcessors(),
            p -> {
              ForkJoinWorkerThread thread =
                  ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
              thread.setName("trustbridge-issuance-" + issuanceThreads.incrementAndGet());
              return thread;
            },
            null,
            true);
    AtomicInteger blockingThreads = new AtomicInteger();
    this.blocking =
        Executors.newCachedThreadPool(
            r -> {
              Thread thread =
                  new Thread(r, "trustbridge-grpc-" + blockingThreads.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
  }

  /** The server's default executor: issuance calls, their answers, and gRPC's method lookup. */
  Executor issuance() {
    return issuance;
  }

  @Override
  public <ReqT, RespT> Executor getExecutor(ServerCall<ReqT, RespT> call, Metadata headers) {
    if (ISSUANCE_METHODS.contains(call.getMethodDescriptor().getFullMethodName())
        && !headers.containsKey(AuthenticationInterceptor.AUTHORIZATION)) {
      return null; // the default: the issuance pool
    }
    return blocking;
  }

  /** Lets queued work finish for a few seconds, then stops the threads. */
  @Override
  public void close() {
    issuance.shutdown();
    blocking.shutdown();
    try {
      if (!issuance.awaitTermination(5, TimeUnit.SECONDS)) {
        issuance.shutdownNow();
      }
      if (!blocking.awaitTermination(5, TimeUnit.SECONDS)) {
        blocking.shutdownNow();
      }
    } catch (InterruptedException e) {
      issuance.shutdownNow();
      blocking.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
