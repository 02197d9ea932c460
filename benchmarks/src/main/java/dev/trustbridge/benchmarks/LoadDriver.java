package dev.trustbridge.benchmarks;

import dev.trustbridge.proto.ca.v1.CertificateAuthorityGrpc.CertificateAuthorityStub;
import dev.trustbridge.proto.ca.v1.SignX509SvidRequest;
import dev.trustbridge.proto.ca.v1.SignX509SvidResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Sends SignX509Svid calls on async stubs with at most {@code concurrency} in flight, either as
 * fast as answers come back (closed loop) or at a fixed rate (open loop). Only calls that complete
 * inside the measurement window count.
 *
 * <p>At a fixed rate each call's latency is measured from the moment it was due to be sent, not
 * from when a free slot let it go, so a server that falls behind shows up in the percentiles
 * instead of silently lowering the offered rate (coordinated omission).
 */
final class LoadDriver {
  private final List<CertificateAuthorityStub> stubs;
  private final List<SignX509SvidRequest> requests;
  private final int concurrency;
  private final double rate;
  private final long measureStart;
  private final long measureEnd;
  private final Semaphore slots;
  private final Latencies latencies = new Latencies();
  private final LongAdder ok = new LongAdder();
  private final Map<Status.Code, LongAdder> failures = new TreeMap<>();
  private final AtomicReference<String> firstFailure = new AtomicReference<>();
  private final AtomicReference<SignX509SvidResponse> firstResponse = new AtomicReference<>();

  /**
   * @param rate calls per second, or 0 for a closed loop
   * @param measureStart {@link System#nanoTime()} at which counting starts (after warm-up)
   * @param measureEnd {@link System#nanoTime()} at which sending stops and counting ends
   */
  LoadDriver(
      List<CertificateAuthorityStub> stubs,
      List<SignX509SvidRequest> requests,
      int concurrency,
      double rate,
      long measureStart,
      long measureEnd) {
    this.stubs = List.copyOf(stubs);
    this.requests = List.copyOf(requests);
    this.concurrency = concurrency;
    this.rate = rate;
    this.measureStart = measureStart;
    this.measureEnd = measureEnd;
    this.slots = new Semaphore(concurrency);
  }

  /** Sends from {@code start} until the end of the window, on the calling thread. */
  void dispatch(long start) {
    double periodNanos = rate > 0 ? 1e9 / rate : 0;
    for (long i = 0; ; i++) {
      long due;
      if (periodNanos > 0) {
        due = start + (long) (i * periodNanos);
        if (due >= measureEnd) {
          return;
        }
        long wait = due - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
        slots.acquireUninterruptibly();
      } else {
        slots.acquireUninterruptibly();
        due = System.nanoTime();
        if (due >= measureEnd) {
          slots.release();
          return;
        }
      }
      send((int) (i % requests.size()), stubs.get((int) (i % stubs.size())), due);
    }
  }

  /** Waits for the calls still in flight; false if some did not finish in time. */
  boolean drain(long timeout, TimeUnit unit) throws InterruptedException {
    return slots.tryAcquire(concurrency, timeout, unit);
  }

  private void send(int request, CertificateAuthorityStub stub, long due) {
    stub.signX509Svid(
        requests.get(request),
        new StreamObserver<>() {
          @Override
          public void onNext(SignX509SvidResponse response) {
            firstResponse.compareAndSet(null, response);
          }

          @Override
          public void onError(Throwable t) {
            done(due, Status.fromThrowable(t));
          }

          @Override
          public void onCompleted() {
            done(due, Status.OK);
          }
        });
  }

  private void done(long due, Status status) {
    long now = System.nanoTime();
    slots.release();
    if (now < measureStart || now >= measureEnd) {
      return;
    }
    if (status.isOk()) {
      ok.increment();
      latencies.add(now - due);
      return;
    }
    firstFailure.compareAndSet(null, status.getCode() + ": " + status.getDescription());
    synchronized (failures) {
      failures.computeIfAbsent(status.getCode(), c -> new LongAdder()).increment();
    }
  }

  long succeeded() {
    return ok.sum();
  }

  long failed() {
    synchronized (failures) {
      return failures.values().stream().mapToLong(LongAdder::sum).sum();
    }
  }

  String failureSummary() {
    synchronized (failures) {
      StringBuilder out = new StringBuilder();
      failures.forEach((code, n) -> out.append(code).append('=').append(n.sum()).append(' '));
      return out.toString().trim();
    }
  }

  Optional<String> firstFailure() {
    return Optional.ofNullable(firstFailure.get());
  }

  Optional<SignX509SvidResponse> firstResponse() {
    return Optional.ofNullable(firstResponse.get());
  }

  Latencies.Summary latencies() {
    return latencies.summarize();
  }
}
