package dev.trustbridge.benchmarks;

import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH: the in-process cost of one CSR verify and one leaf sign, per provider set.
 *
 * <pre>
 * java -cp 'benchmarks/target/*:benchmarks/target/lib/*' org.openjdk.jmh.Main VerifySignBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class VerifySignBenchmark {
  @Param({"detect", "bouncycastle"})
  public String provider;

  private VerifySignFixture fixture;
  private int next;

  @Setup
  public void setUp() {
    fixture = VerifySignFixture.create(provider, 64);
  }

  private int nextIndex() {
    next = (next + 1) % fixture.size();
    return next;
  }

  @Benchmark
  public PublicKey verify() {
    return fixture.verify(nextIndex());
  }

  @Benchmark
  public X509Certificate sign() {
    return fixture.sign(nextIndex());
  }

  @Benchmark
  public X509Certificate verifyAndSign() {
    return fixture.verifyAndSign(nextIndex());
  }

  /** The real builder: bare sign plus the profile check of the new leaf (not its signature). */
  @Benchmark
  public X509Certificate builder() {
    return fixture.build(nextIndex());
  }
}
