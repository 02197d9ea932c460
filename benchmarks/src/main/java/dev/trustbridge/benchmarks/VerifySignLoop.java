package dev.trustbridge.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.function.IntFunction;

/**
 * A plain timed loop over {@link VerifySignFixture}, single-threaded, for printing the bare cost of
 * verify and sign next to the load results without a JMH fork. Costs are the loop thread's CPU time
 * per operation, not wall time, so that they compare with the server's CPU time per issuance and
 * stay meaningful on a machine shared with other work. Less rigorous than {@link
 * VerifySignBenchmark}, which is the number to quote when the two differ.
 */
final class VerifySignLoop {
  /** CPU nanoseconds per operation of each step. */
  record Result(
      String providers,
      double verifyNanos,
      double signNanos,
      double bothNanos,
      double builderNanos,
      double checkNanos) {}

  private static final ThreadMXBean THREAD_CPU = ManagementFactory.getThreadMXBean();
  private static volatile Object sink;

  private VerifySignLoop() {}

  static Result run(String provider, Duration total) {
    VerifySignFixture fixture = VerifySignFixture.create(provider, 64);
    Duration slice = total.dividedBy(8);
    X509Certificate leaf = fixture.build(0);
    // Every path is warmed before any is measured: a path still being compiled looks dearer, and
    // a dearer bare cost would flatter the server's ratio to it.
    perOp(fixture, fixture::verifyAndSign, slice);
    perOp(fixture, fixture::build, slice.dividedBy(2));
    perOp(fixture, i -> fixture.checkLeaf(leaf), slice.dividedBy(2));
    double verify = perOp(fixture, fixture::verify, slice);
    double sign = perOp(fixture, fixture::sign, slice);
    double both = perOp(fixture, fixture::verifyAndSign, slice);
    double builder = perOp(fixture, fixture::build, slice);
    double check = perOp(fixture, i -> fixture.checkLeaf(leaf), slice);
    return new Result(fixture.describeProviders(), verify, sign, both, builder, check);
  }

  private static double perOp(VerifySignFixture fixture, IntFunction<?> op, Duration slice) {
    long end = System.nanoTime() + slice.toNanos();
    long cpuStart = THREAD_CPU.getCurrentThreadCpuTime();
    long n = 0;
    long now;
    do {
      // Check the clock every 16 calls: an op takes tens of microseconds, nanoTime ~25 ns.
      for (int k = 0; k < 16; k++) {
        sink = op.apply((int) (n++ % fixture.size()));
      }
      now = System.nanoTime();
    } while (now < end);
    return (double) (THREAD_CPU.getCurrentThreadCpuTime() - cpuStart) / n;
  }
}
