package dev.trustbridge.benchmarks;

import com.google.protobuf.ByteString;
import dev.trustbridge.ca.tls.ClientTls;
import dev.trustbridge.ca.tls.RotatingKeyManager;
import dev.trustbridge.proto.ca.v1.CertificateAuthorityGrpc;
import dev.trustbridge.proto.ca.v1.CertificateAuthorityGrpc.CertificateAuthorityStub;
import dev.trustbridge.proto.ca.v1.SignX509SvidRequest;
import dev.trustbridge.proto.ca.v1.SignX509SvidResponse;
import dev.trustbridge.spiffe.keys.KeyType;
import io.grpc.ManagedChannel;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Drives a running Trustbridge server's SignX509Svid over mTLS, renewing the caller's own SVID with
 * pre-made CSRs, and prints issuances per second, latency percentiles, the server's CPU time per
 * issuance and resident memory; then, in the same process, the bare in-process cost of one CSR
 * verify plus one leaf sign, so that what the server spends beyond that is visible.
 *
 * <p>A benchmark, not a test: it reports and never fails on timing. See docs/benchmarks.md.
 */
public final class IssuanceLoad {
  private IssuanceLoad() {}

  public static void main(String[] args) throws Exception {
    LoadOptions options;
    try {
      options = LoadOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.print(LoadOptions.USAGE);
      System.exit(2);
      return;
    }
    Map<String, String> results = new LinkedHashMap<>();
    results.put("label", options.label());
    run(options, results);
    if (!options.micro().isZero()) {
      micro(options, results);
    }
    StringBuilder line = new StringBuilder("RESULT");
    results.forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
    System.out.println(line);
    if (options.results().isPresent()) {
      Files.writeString(
          options.results().get(),
          line + System.lineSeparator(),
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    }
  }

  private static void run(LoadOptions options, Map<String, String> results) throws Exception {
    List<SignX509SvidRequest> requests = new ArrayList<>();
    for (byte[] csr : Csrs.make(options.csrs(), KeyType.EC_P256)) {
      // Empty spiffe_id: the caller renews its own ID, as an agent does.
      requests.add(SignX509SvidRequest.newBuilder().setCsr(ByteString.copyFrom(csr)).build());
    }
    RotatingKeyManager.Credential credential =
        new RotatingKeyManager.Credential(
            ClientTls.readChain(options.cert()), ClientTls.readPrivateKey(options.key()));
    List<X509Certificate> anchors = ClientTls.readCertificates(options.bundle());
    List<ManagedChannel> channels = new ArrayList<>();
    List<CertificateAuthorityStub> stubs = new ArrayList<>();
    for (int i = 0; i < options.channels(); i++) {
      ManagedChannel channel =
          ClientTls.channel(options.target(), anchors, Optional.of(credential));
      channels.add(channel);
      // Callbacks run on the transport thread: they only record a time and free a slot.
      stubs.add(CertificateAuthorityGrpc.newStub(channel).withExecutor(Runnable::run));
    }
    Optional<ProcessStats> server =
        options.serverPid().stream().mapToObj(ProcessStats::new).findAny();
    ProcessStats self = new ProcessStats(ProcessHandle.current().pid());

    System.out.printf(
        Locale.ROOT,
        "== %s: target=%s concurrency=%d channels=%d %s warmup=%ds duration=%ds load_avg=%s%n",
        options.label(),
        options.target(),
        options.concurrency(),
        options.channels(),
        options.rate() > 0 ? "rate=" + Math.round(options.rate()) + "/s" : "closed-loop",
        options.warmup().toSeconds(),
        options.duration().toSeconds(),
        ProcessStats.loadAverage());
    long start = System.nanoTime();
    long measureStart = start + options.warmup().toNanos();
    long measureEnd = measureStart + options.duration().toNanos();
    LoadDriver driver =
        new LoadDriver(
            stubs, requests, options.concurrency(), options.rate(), measureStart, measureEnd);
    Thread dispatcher = new Thread(() -> driver.dispatch(start), "load-dispatcher");
    dispatcher.start();

    sleepUntil(measureStart);
    String loadBefore = ProcessStats.loadAverage();
    long serverCpu0 = server.map(ProcessStats::cpuNanos).orElse(0L);
    long selfCpu0 = self.cpuNanos();
    AtomicLong peakRssKb = new AtomicLong();
    ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
    server.ifPresent(
        s ->
            sampler.scheduleAtFixedRate(
                () -> peakRssKb.accumulateAndGet(s.statusKb("VmRSS"), Math::max),
                0,
                250,
                TimeUnit.MILLISECONDS));
    sleepUntil(measureEnd);
    long serverCpu1 = server.map(ProcessStats::cpuNanos).orElse(0L);
    long selfCpu1 = self.cpuNanos();
    sampler.shutdownNow();
    String loadAfter = ProcessStats.loadAverage();
    dispatcher.join();
    boolean drained = driver.drain(30, TimeUnit.SECONDS);
    channels.forEach(ClientTls::shutdown);

    double seconds = options.duration().toNanos() / 1e9;
    long ok = driver.succeeded();
    Latencies.Summary latency = driver.latencies();
    results.put("concurrency", Integer.toString(options.concurrency()));
    results.put("rate_target", fmt(options.rate()));
    results.put("issuances_per_s", fmt(ok / seconds));
    results.put("ok", Long.toString(ok));
    results.put("failed", Long.toString(driver.failed()));
    results.put("p50_ms", fmt(latency.percentileMillis(50)));
    results.put("p99_ms", fmt(latency.percentileMillis(99)));
    results.put("p999_ms", fmt(latency.percentileMillis(99.9)));
    results.put("max_ms", fmt(latency.maxMillis()));
    results.put("client_cpu_ms_per_issuance", fmt(perIssuanceMillis(selfCpu1 - selfCpu0, ok)));
    if (server.isPresent()) {
      results.put(
          "server_cpu_ms_per_issuance", fmt(perIssuanceMillis(serverCpu1 - serverCpu0, ok)));
      results.put("server_cpu_cores", fmt((serverCpu1 - serverCpu0) / 1e9 / seconds));
      results.put("server_rss_peak_mb", fmt(peakRssKb.get() / 1024.0));
      results.put("server_vmhwm_mb", fmt(server.get().statusKb("VmHWM") / 1024.0));
    }
    results.put("load_avg_start", loadBefore.replace(' ', '/'));
    results.put("load_avg_end", loadAfter.replace(' ', '/'));

    System.out.printf(
        Locale.ROOT,
        "issuances/s %s  (ok %d, failed %d %s)%n",
        results.get("issuances_per_s"),
        ok,
        driver.failed(),
        driver.failureSummary());
    driver.firstFailure().ifPresent(f -> System.out.println("first failure: " + f));
    if (!drained) {
      System.out.println("warning: calls still in flight 30 s after the end");
    }
    System.out.printf(
        Locale.ROOT,
        "latency ms  p50 %s  p99 %s  p99.9 %s  max %s%n",
        results.get("p50_ms"),
        results.get("p99_ms"),
        results.get("p999_ms"),
        results.get("max_ms"));
    if (server.isPresent()) {
      System.out.printf(
          Locale.ROOT,
          "server pid %d: CPU %s ms/issuance (%s cores busy), RSS peak %s MB, VmHWM %s MB%n",
          server.get().pid(),
          results.get("server_cpu_ms_per_issuance"),
          results.get("server_cpu_cores"),
          results.get("server_rss_peak_mb"),
          results.get("server_vmhwm_mb"));
    }
    System.out.printf(
        Locale.ROOT,
        "load generator CPU %s ms/issuance; load average %s -> %s%n",
        results.get("client_cpu_ms_per_issuance"),
        loadBefore,
        loadAfter);
    driver.firstResponse().ifPresent(IssuanceLoad::printSample);
  }

  private static void micro(LoadOptions options, Map<String, String> results) {
    VerifySignLoop.Result micro = VerifySignLoop.run(options.microProvider(), options.micro());
    results.put("verify_us", fmt(micro.verifyNanos() / 1e3));
    results.put("sign_us", fmt(micro.signNanos() / 1e3));
    results.put("verify_sign_us", fmt(micro.bothNanos() / 1e3));
    results.put("builder_us", fmt(micro.builderNanos() / 1e3));
    results.put("check_leaf_us", fmt(micro.checkNanos() / 1e3));
    System.out.printf(
        Locale.ROOT,
        "in-process, 1 thread, CPU time per operation, %s:%n"
            + "  bare: CSR verify %s us + leaf sign %s us; together %s us/issuance%n"
            + "  X509SvidBuilder (sign + profile check) %s us; one leaf profile check %s us%n",
        micro.providers(),
        results.get("verify_us"),
        results.get("sign_us"),
        results.get("verify_sign_us"),
        results.get("builder_us"),
        results.get("check_leaf_us"));
    if (results.containsKey("server_cpu_ms_per_issuance")) {
      double serverNanos = Double.parseDouble(results.get("server_cpu_ms_per_issuance")) * 1e6;
      double ratio = serverNanos / micro.bothNanos();
      // The stricter reference: the certificate signed by X509SvidBuilder, which is cheaper than
      // Bouncy Castle's builder although it also runs the profile check.
      double strict = serverNanos / (micro.verifyNanos() + micro.builderNanos());
      results.put("server_cpu_over_verify_sign", fmt(ratio));
      results.put("server_cpu_over_verify_build", fmt(strict));
      System.out.printf(
          Locale.ROOT,
          "  server CPU per issuance = %.2f x bare verify+sign; %.2f x CSR verify +"
              + " X509SvidBuilder%n",
          ratio,
          strict);
    }
  }

  private static void printSample(SignX509SvidResponse response) {
    try {
      X509Certificate leaf =
          (X509Certificate)
              CertificateFactory.getInstance("X.509")
                  .generateCertificate(
                      new ByteArrayInputStream(response.getCertChain(0).toByteArray()));
      System.out.printf(
          "sample leaf: %s, %d certificates in chain, expires %s%n",
          leaf.getSubjectAlternativeNames(),
          response.getCertChainCount(),
          leaf.getNotAfter().toInstant());
    } catch (CertificateException | RuntimeException e) {
      System.out.println("sample leaf does not parse: " + e);
    }
  }

  private static double perIssuanceMillis(long cpuNanos, long issuances) {
    return issuances == 0 ? Double.NaN : cpuNanos / 1e6 / issuances;
  }

  private static String fmt(double value) {
    return String.format(Locale.ROOT, value >= 100 ? "%.0f" : "%.3f", value);
  }

  private static void sleepUntil(long nanoTime) throws InterruptedException {
    long wait;
    while ((wait = nanoTime - System.nanoTime()) > 0) {
      TimeUnit.NANOSECONDS.sleep(wait);
    }
  }
}
