package dev.trustbridge.federation.client;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.trustbridge.federation.endpoint.ServerCredential;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/** A small HTTPS test server (JDK httpserver) whose paths misbehave on purpose. */
final class HostileServer implements AutoCloseable {
  private final HttpsServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final CountDownLatch released = new CountDownLatch(1);
  private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();

  HostileServer(ServerCredential credential) throws Exception {
    char[] password = "test".toCharArray();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry(
        "server",
        credential.privateKey(),
        password,
        credential.chain().toArray(new X509Certificate[0]));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, password);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), null, null);
    server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(tls));
    server.setExecutor(executor);
    server.start();
  }

  URI url(String path) {
    return URI.create("https://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  int hits(String path) {
    return hits.computeIfAbsent(path, p -> new AtomicInteger()).get();
  }

  /** Serves {@code body} with status 200. */
  HostileServer json(String path, String body) {
    return handle(path, ex -> send(ex, 200, body.getBytes(StandardCharsets.UTF_8)));
  }

  HostileServer status(String path, int status) {
    return handle(path, ex -> send(ex, status, new byte[0]));
  }

  HostileServer redirect(String path, int status, String location) {
    return handle(
        path,
        ex -> {
          ex.getResponseHeaders().add("Location", location);
          send(ex, status, new byte[0]);
        });
  }

  /** Accepts the request and never answers (until closed). */
  HostileServer hang(String path) {
    return handle(
        path,
        ex -> {
          try {
            released.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          ex.close();
        });
  }

  /** Sends headers, then one byte every 100 ms for 10 s. */
  HostileServer trickle(String path) {
    return handle(
        path,
        ex -> {
          ex.sendResponseHeaders(200, 0);
          try (OutputStream out = ex.getResponseBody()) {
            out.write('{');
            for (int i = 0; i < 100 && released.getCount() > 0; i++) {
              out.write(' ');
              out.flush();
              released.await(100, TimeUnit.MILLISECONDS);
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
  }

  /** A 20 MB body, with a declared length or chunked. */
  HostileServer huge(String path, boolean declareLength) {
    int size = 20 * 1024 * 1024;
    return handle(
        path,
        ex -> {
          ex.sendResponseHeaders(200, declareLength ? size : 0);
          byte[] chunk = new byte[64 * 1024];
          java.util.Arrays.fill(chunk, (byte) ' ');
          try (OutputStream out = ex.getResponseBody()) {
            for (int sent = 0; sent < size; sent += chunk.length) {
              out.write(chunk);
            }
          }
        });
  }

  interface Handler {
    void handle(HttpExchange exchange) throws IOException;
  }

  HostileServer handle(String path, Handler handler) {
    HttpHandler h =
        ex -> {
          hits.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
          try {
            handler.handle(ex);
          } catch (IOException e) {
            // The client hung up, as it should on abuse.
          } finally {
            ex.close();
          }
        };
    server.createContext(path, h);
    return this;
  }

  private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }

  @Override
  public void close() {
    released.countDown();
    server.stop(0);
    executor.shutdownNow();
  }
}
