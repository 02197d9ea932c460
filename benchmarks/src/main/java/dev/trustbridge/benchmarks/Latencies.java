package dev.trustbridge.benchmarks;

import java.util.Arrays;

/** Latency samples in nanoseconds; percentiles from the sorted array (nearest rank). */
final class Latencies {
  private long[] samples = new long[1 << 16];
  private int count;

  synchronized void add(long nanos) {
    if (count == samples.length) {
      samples = Arrays.copyOf(samples, samples.length * 2);
    }
    samples[count++] = nanos;
  }

  synchronized Summary summarize() {
    long[] sorted = Arrays.copyOf(samples, count);
    Arrays.sort(sorted);
    return new Summary(sorted);
  }

  /** Percentiles of a finished phase. */
  static final class Summary {
    private final long[] sorted;

    private Summary(long[] sorted) {
      this.sorted = sorted;
    }

    int count() {
      return sorted.length;
    }

    /** The {@code p}-th percentile (0 to 100) in milliseconds; NaN without samples. */
    double percentileMillis(double p) {
      if (sorted.length == 0) {
        return Double.NaN;
      }
      int rank = (int) Math.ceil(p / 100.0 * sorted.length);
      return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] / 1e6;
    }

    double maxMillis() {
      return sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1] / 1e6;
    }
  }
}
