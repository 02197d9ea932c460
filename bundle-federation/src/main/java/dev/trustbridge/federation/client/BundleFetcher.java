package dev.trustbridge.federation.client;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.io.ByteArrayOutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

/**
 * One poll's HTTP exchange with {@link HttpClient}: GET, redirects followed by hand (only to valid
 * {@code https} URLs, at most {@code maxRedirects}, each over the same TLS context), a deadline for
 * the whole response and a body size limit enforced while reading. Blocking; runs on polling
 * threads only.
 */
final class BundleFetcher {
  private final FederationClientConfig config;
  private final Executor executor;

  BundleFetcher(FederationClientConfig config, Executor executor) {
    this.config = config;
    this.executor = executor;
  }

  /** The body of a 200 response. */
  record Fetched(byte[] body, URI finalUrl) {}

  Fetched fetch(URI url, SSLContext tls) {
    // A fresh client per poll: no pooled connection authenticated under an older bundle is reused.
    HttpClient client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(config.connectTimeout())
            .sslContext(tls)
            .sslParameters(EndpointTls.parameters())
            .executor(executor)
            .build();
    URI current = url;
    for (int redirects = 0; ; redirects++) {
      HttpResponse<byte[]> response = exchange(client, current);
      int status = response.statusCode();
      if (status == 200) {
        return new Fetched(response.body(), current);
      }
      if (!isRedirect(status)) {
        throw new FetchException(ErrorCode.UNAVAILABLE, FetchException.HTTP_STATUS + " " + status);
      }
      if (redirects >= config.maxRedirects()) {
        throw new FetchException(ErrorCode.UNAVAILABLE, FetchException.TOO_MANY_REDIRECTS);
      }
      current = redirectTarget(current, response.headers().firstValue("Location"));
    }
  }

  private static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  private static URI redirectTarget(URI base, Optional<String> location) {
    if (location.isEmpty() || location.get().isBlank()) {
      throw new FetchException(ErrorCode.UNAVAILABLE, FetchException.REDIRECT_NO_LOCATION);
    }
    try {
      URI target = base.resolve(new URI(location.get().trim()));
      FederationRelationship.checkUrl(target);
      return target;
    } catch (java.net.URISyntaxException | IllegalArgumentException e) {
      throw new FetchException(ErrorCode.UNAVAILABLE, FetchException.REDIRECT_INVALID);
    } catch (TrustbridgeException e) {
      throw new FetchException(
          ErrorCode.UNAVAILABLE,
          FetchException.detail(FetchException.REDIRECT_INVALID, e.getMessage()));
    }
  }

  private HttpResponse<byte[]> exchange(HttpClient client, URI url) {
    Duration deadline = config.connectTimeout().plus(config.readTimeout());
    HttpRequest request =
        HttpRequest.newBuilder(url)
            .GET()
            .timeout(deadline)
            .header("Accept", "application/json")
            .build();
    AtomicReference<LimitedBody> body = new AtomicReference<>();
    CompletableFuture<HttpResponse<byte[]>> future =
        client.sendAsync(
            request,
            info -> {
              LimitedBody b =
                  new LimitedBody(
                      config.maxBundleBytes(), info.headers().firstValueAsLong("Content-Length"));
              body.set(b);
              return b;
            });
    try {
      return future.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      abort(future, body);
      throw new FetchException(ErrorCode.UNAVAILABLE, FetchException.TIMEOUT);
    } catch (InterruptedException e) {
      abort(future, body);
      Thread.currentThread().interrupt();
      throw new FetchException(ErrorCode.UNAVAILABLE, FetchException.TIMEOUT, e);
    } catch (ExecutionException e) {
      abort(future, body);
      throw map(e.getCause());
    }
  }

  private static void abort(CompletableFuture<?> future, AtomicReference<LimitedBody> body) {
    LimitedBody b = body.get();
    if (b != null) {
      b.cancel();
    }
    future.cancel(true);
  }

  /** Maps a transport failure to a message fit for the state and the log. */
  static FetchException map(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof FetchException f) {
        return f;
      }
    }
    if (t instanceof HttpConnectTimeoutException) {
      return new FetchException(ErrorCode.UNAVAILABLE, FetchException.CONNECT_TIMEOUT, t);
    }
    if (t instanceof HttpTimeoutException) {
      return new FetchException(ErrorCode.UNAVAILABLE, FetchException.TIMEOUT, t);
    }
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof SSLException) {
        return new FetchException(
            ErrorCode.UNAVAILABLE,
            FetchException.detail(FetchException.TLS_FAILED, rootMessage(c)),
            t);
      }
    }
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof ConnectException) {
        return new FetchException(
            ErrorCode.UNAVAILABLE,
            FetchException.detail(FetchException.CONNECT_FAILED, c.getMessage()),
            t);
      }
    }
    return new FetchException(
        ErrorCode.UNAVAILABLE, FetchException.detail(FetchException.IO_ERROR, rootMessage(t)), t);
  }

  private static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
  }

  /** Collects the body, refusing (and cancelling the transfer) beyond {@code limit} bytes. */
  static final class LimitedBody implements HttpResponse.BodySubscriber<byte[]> {
    private final int limit;
    private final boolean declaredTooLarge;
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private volatile Flow.Subscription subscription;

    LimitedBody(int limit, java.util.OptionalLong contentLength) {
      this.limit = limit;
      this.declaredTooLarge = contentLength.isPresent() && contentLength.getAsLong() > limit;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      // A declared oversize is refused at the first bytes; cancelling here stalls the JDK client.
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      if (result.isDone()) {
        return;
      }
      if (declaredTooLarge) {
        tooLarge();
        return;
      }
      for (ByteBuffer item : items) {
        if (bytes.size() + item.remaining() > limit) {
          tooLarge();
          return;
        }
        byte[] chunk = new byte[item.remaining()];
        item.get(chunk);
        bytes.write(chunk, 0, chunk.length);
      }
    }

    @Override
    public void onError(Throwable throwable) {
      result.completeExceptionally(throwable);
    }

    @Override
    public void onComplete() {
      result.complete(bytes.toByteArray());
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return result;
    }

    private void tooLarge() {
      result.completeExceptionally(
          new FetchException(ErrorCode.UNAVAILABLE, FetchException.TOO_LARGE));
      cancel();
    }

    void cancel() {
      Flow.Subscription s = subscription;
      if (s != null) {
        s.cancel();
      }
    }
  }
}
