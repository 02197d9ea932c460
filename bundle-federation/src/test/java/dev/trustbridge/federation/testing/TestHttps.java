package dev.trustbridge.federation.testing;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509KeyManager;
import javax.net.ssl.X509TrustManager;

/**
 * A minimal HTTPS/1.1 client over {@link SSLSocket} for endpoint tests: it forces protocols and
 * cipher suites, records the server certificate and whether a client certificate was requested, and
 * checks no host name (the test decides what to assert about the certificate).
 */
public final class TestHttps {
  private TestHttps() {}

  /** One response. Header names are lower-cased. */
  public record Response(
      int status,
      Map<String, String> headers,
      byte[] body,
      X509Certificate serverLeaf,
      String protocol,
      String cipherSuite,
      boolean clientCertificateRequested) {
    public String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  public static Response get(int port) {
    return request(port, "GET", "/", null, null);
  }

  public static Response request(int port, String method, String path) {
    return request(port, method, path, null, null);
  }

  /** Sends one request with {@code Connection: close}; null protocols/suites mean JDK defaults. */
  public static Response request(
      int port, String method, String path, List<String> protocols, List<String> suites) {
    AtomicBoolean certRequested = new AtomicBoolean();
    try (SSLSocket socket = open(port, protocols, suites, certRequested)) {
      OutputStream out = socket.getOutputStream();
      String head =
          method
              + " "
              + path
              + " HTTP/1.1\r\nHost: 127.0.0.1:"
              + port
              + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      out.write(head.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      byte[] raw = socket.getInputStream().readAllBytes();
      return parse(
          raw,
          (X509Certificate) socket.getSession().getPeerCertificates()[0],
          socket.getSession().getProtocol(),
          socket.getSession().getCipherSuite(),
          certRequested.get());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Only the handshake; throws on failure. Returns the negotiated protocol. */
  public static String handshake(int port, List<String> protocols, List<String> suites)
      throws IOException {
    try (SSLSocket socket = open(port, protocols, suites, new AtomicBoolean())) {
      return socket.getSession().getProtocol();
    }
  }

  private static SSLSocket open(
      int port, List<String> protocols, List<String> suites, AtomicBoolean certRequested)
      throws IOException {
    SSLContext context;
    try {
      context = SSLContext.getInstance("TLS");
      context.init(
          new KeyManager[] {new SpyKeyManager(certRequested)},
          new TrustManager[] {new TrustAll()},
          null);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
    socket.setSoTimeout(5000);
    if (protocols != null) {
      socket.setEnabledProtocols(protocols.toArray(new String[0]));
    }
    if (suites != null) {
      socket.setEnabledCipherSuites(suites.toArray(new String[0]));
    }
    socket.startHandshake();
    return socket;
  }

  private static Response parse(
      byte[] raw, X509Certificate leaf, String protocol, String suite, boolean certRequested) {
    int end = indexOf(raw, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    String[] lines = new String(raw, 0, end, StandardCharsets.US_ASCII).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      headers.put(
          lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
          lines[i].substring(colon + 1).trim());
    }
    byte[] body = Arrays.copyOfRange(raw, end + 4, raw.length);
    return new Response(status, headers, body, leaf, protocol, suite, certRequested);
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new IllegalStateException("no header end");
  }

  /**
   * Sends a hand-made TLS 1.1 ClientHello (the JDK refuses to send one) and returns the first
   * record type and, for an alert, its description: {@code [21, 70]} is a protocol_version alert.
   * An empty array means the server closed the connection without a record.
   */
  public static int[] helloTls11(int port) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(new byte[] {0x03, 0x02}); // client_version TLS 1.1
    body.write(new byte[32]); // random
    body.write(0); // session id
    int[] suites = {0xC02B, 0xC02F, 0xC009, 0xC013, 0x002F};
    body.write(0);
    body.write(suites.length * 2);
    for (int s : suites) {
      body.write(s >> 8);
      body.write(s & 0xFF);
    }
    body.write(new byte[] {0x01, 0x00}); // compression: null
    byte[] extensions = {
      0x00,
      0x0a,
      0x00,
      0x04,
      0x00,
      0x02,
      0x00,
      0x17, // supported_groups: secp256r1
      0x00,
      0x0b,
      0x00,
      0x02,
      0x01,
      0x00 // ec_point_formats: uncompressed
    };
    body.write(0);
    body.write(extensions.length);
    body.write(extensions);
    byte[] hello = body.toByteArray();
    ByteArrayOutputStream record = new ByteArrayOutputStream();
    int handshakeLength = hello.length + 4;
    record.write(
        new byte[] {0x16, 0x03, 0x01, (byte) (handshakeLength >> 8), (byte) handshakeLength});
    record.write(new byte[] {0x01, 0x00, (byte) (hello.length >> 8), (byte) hello.length});
    record.write(hello);
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      socket.setSoTimeout(5000);
      socket.getOutputStream().write(record.toByteArray());
      socket.getOutputStream().flush();
      DataInputStream in = new DataInputStream(socket.getInputStream());
      int type = in.read();
      if (type < 0) {
        return new int[0];
      }
      in.skipBytes(4); // version, length
      if (type != 21) {
        return new int[] {type};
      }
      in.read(); // level
      return new int[] {type, in.read()};
    } catch (SocketTimeoutException e) {
      throw new IOException("server did not answer", e);
    }
  }

  private static final class TrustAll implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }

  /** Has no certificate; records whether the server asked for one. */
  private static final class SpyKeyManager implements X509KeyManager {
    private final AtomicBoolean requested;

    SpyKeyManager(AtomicBoolean requested) {
      this.requested = requested;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      requested.set(true);
      return null;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      requested.set(true);
      return null;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return null;
    }
  }
}
