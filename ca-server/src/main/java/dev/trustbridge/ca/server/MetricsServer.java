package dev.trustbridge.ca.server;

import com.sun.net.httpserver.HttpServer;
import dev.trustbridge.ca.config.HostPort;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** Serves {@code GET /metrics} in the Prometheus text format, and nothing else. */
final class MetricsServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;

  private MetricsServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  static MetricsServer start(HostPort listen, PrometheusMeterRegistry registry) {
    try {
      HttpServer server = HttpServer.create(listen.toSocketAddress(), 16);
      server.createContext(
          "/metrics",
          exchange -> {
            try (exchange) {
              if (!exchange.getRequestMethod().equals("GET")
                  || !exchange.getRequestURI().getPath().equals("/metrics")) {
                exchange.sendResponseHeaders(
                    exchange.getRequestMethod().equals("GET") ? 404 : 405, -1);
                return;
              }
              byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
              exchange
                  .getResponseHeaders()
                  .set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
              exchange.sendResponseHeaders(200, body.length);
              try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
              }
            }
          });
      ExecutorService executor =
          Executors.newSingleThreadExecutor(
              r -> {
                Thread t = new Thread(r, "trustbridge-metrics");
                t.setDaemon(true);
                return t;
              });
      server.setExecutor(executor);
      server.start();
      return new MetricsServer(server, executor);
    } catch (IOException e) {
      throw new TrustbridgeException(
          ErrorCode.UNAVAILABLE,
          "cannot listen for metrics on " + listen + ": " + e.getMessage(),
          e);
    }
  }

  int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
