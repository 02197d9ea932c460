package dev.trustbridge.ca.authn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.trustbridge.ca.authority.MutableClock;
import dev.trustbridge.proto.ca.v1.CertificateAuthorityGrpc;
import dev.trustbridge.proto.ca.v1.SignX509SvidRequest;
import dev.trustbridge.proto.ca.v1.SignX509SvidResponse;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import io.grpc.Attributes;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.Status;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Principal;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The mTLS caller is verified once per TLS session, and again when trust or time says so. */
class AuthenticationInterceptorSessionTest {
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
  private static final SpiffeId AGENT = SpiffeId.parse("spiffe://td/agent/node-1");
  private static final Instant NOT_AFTER = T0.plus(Duration.ofHours(1));

  private static X509Certificate leaf;

  private MutableClock clock;
  private final AtomicInteger verifications = new AtomicInteger();
  private final AtomicReference<Object> trustVersion = new AtomicReference<>("bundle-1");
  private final AtomicReference<RuntimeException> verifyFailure = new AtomicReference<>();
  private AuthenticationInterceptor interceptor;

  @BeforeAll
  static void certificate() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair pair = generator.generateKeyPair();
    X500Principal name = new X500Principal("CN=test");
    leaf =
        new JcaX509CertificateConverter()
            .getCertificate(
                new JcaX509v3CertificateBuilder(
                        name,
                        BigInteger.ONE,
                        Date.from(T0.minusSeconds(60)),
                        Date.from(NOT_AFTER),
                        name,
                        pair.getPublic())
                    .build(
                        new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
  }

  @BeforeEach
  void interceptor() {
    clock = new MutableClock(T0);
    interceptor = newInterceptor(true);
  }

  private AuthenticationInterceptor newInterceptor(boolean perSession) {
    AuthenticationInterceptor.PeerVerifier verifier =
        chain -> {
          verifications.incrementAndGet();
          RuntimeException failure = verifyFailure.get();
          if (failure != null) {
            throw failure;
          }
          return new Caller.Svid(AGENT, chain.get(0).getNotAfter().toInstant());
        };
    JwtAuthenticator jwts = new JwtAuthenticator(List.of(), clock);
    JoinTokens tokens =
        new JoinTokens(
            new JoinTokenStore() {
              @Override
              public void create(JoinToken token) {
                throw new UnsupportedOperationException();
              }

              @Override
              public java.util.Optional<JoinToken> consume(String hash, Instant now) {
                throw new UnsupportedOperationException();
              }

              @Override
              public int deleteExpired(Instant now) {
                throw new UnsupportedOperationException();
              }
            },
            clock);
    Set<String> joinMethods = Set.of();
    return perSession
        ? new AuthenticationInterceptor(
            verifier, jwts, tokens, joinMethods, trustVersion::get, clock)
        : new AuthenticationInterceptor(verifier, jwts, tokens, joinMethods);
  }

  /** Runs one call on {@code session}; the caller the service saw, or null if refused. */
  private Caller call(AuthenticationInterceptor authn, SSLSession session, FakeCall call) {
    AtomicReference<Caller> seen = new AtomicReference<>();
    call.attributes = Attributes.newBuilder().set(Grpc.TRANSPORT_ATTR_SSL_SESSION, session).build();
    authn.interceptCall(
        call,
        new Metadata(),
        (c, headers) -> {
          seen.set(AuthenticationInterceptor.CALLER.get());
          return new ServerCall.Listener<>() {};
        });
    return seen.get();
  }

  private Caller call(SSLSession session) {
    return call(interceptor, session, new FakeCall());
  }

  @Test
  void sameSession_secondCall_isNotVerifiedAgain() {
    FakeSession session = new FakeSession(leaf);
    assertEquals(AGENT, call(session).spiffeId());
    assertEquals(AGENT, call(session).spiffeId());
    assertEquals(1, verifications.get());
  }

  @Test
  void otherSession_isVerifiedOnItsOwn() {
    call(new FakeSession(leaf));
    call(new FakeSession(leaf));
    assertEquals(2, verifications.get());
  }

  @Test
  void trustVersionChanged_isVerifiedAgain() {
    FakeSession session = new FakeSession(leaf);
    call(session);
    trustVersion.set("bundle-2");
    call(session);
    call(session);
    assertEquals(2, verifications.get());
  }

  @Test
  void chainExpired_isVerifiedAgainAndItsFailureRefusesTheCall() {
    FakeSession session = new FakeSession(leaf);
    call(session);
    clock.set(NOT_AFTER.minusMillis(1));
    call(session);
    assertEquals(1, verifications.get());
    clock.set(NOT_AFTER);
    verifyFailure.set(new TrustbridgeException(ErrorCode.UNAUTHENTICATED, "expired"));
    FakeCall refused = new FakeCall();
    assertNull(call(interceptor, session, refused));
    assertEquals(2, verifications.get());
    assertEquals(Status.Code.UNAUTHENTICATED, refused.closedWith.getCode());
  }

  @Test
  void verificationFailure_isNotRemembered() {
    FakeSession session = new FakeSession(leaf);
    verifyFailure.set(new TrustbridgeException(ErrorCode.UNAUTHENTICATED, "bad chain"));
    FakeCall refused = new FakeCall();
    assertNull(call(interceptor, session, refused));
    assertEquals(Status.Code.UNAUTHENTICATED, refused.closedWith.getCode());
    assertNull(session.getValue(AuthenticationInterceptor.SESSION_CALLER));
    verifyFailure.set(null);
    assertEquals(AGENT, call(session).spiffeId());
    assertEquals(2, verifications.get());
  }

  @Test
  void withoutTrustVersion_everyCallIsVerified() {
    AuthenticationInterceptor everyCall = newInterceptor(false);
    FakeSession session = new FakeSession(leaf);
    call(everyCall, session, new FakeCall());
    call(everyCall, session, new FakeCall());
    assertEquals(2, verifications.get());
  }

  /** A server call that only has attributes and records how it was closed. */
  private static final class FakeCall
      extends ServerCall<SignX509SvidRequest, SignX509SvidResponse> {
    Attributes attributes = Attributes.EMPTY;
    Status closedWith;

    @Override
    public void request(int numMessages) {}

    @Override
    public void sendHeaders(Metadata headers) {}

    @Override
    public void sendMessage(SignX509SvidResponse message) {}

    @Override
    public void close(Status status, Metadata trailers) {
      closedWith = status;
    }

    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    public Attributes getAttributes() {
      return attributes;
    }

    @Override
    public MethodDescriptor<SignX509SvidRequest, SignX509SvidResponse> getMethodDescriptor() {
      return CertificateAuthorityGrpc.getSignX509SvidMethod();
    }
  }

  /** A TLS session with a peer chain and values; nothing else is used. */
  private static final class FakeSession implements SSLSession {
    private final Certificate[] peer;
    private final Map<String, Object> values = new HashMap<>();

    FakeSession(X509Certificate... peer) {
      this.peer = peer.clone();
    }

    @Override
    public Certificate[] getPeerCertificates() {
      return peer.clone();
    }

    @Override
    public void putValue(String name, Object value) {
      values.put(name, value);
    }

    @Override
    public Object getValue(String name) {
      return values.get(name);
    }

    @Override
    public void removeValue(String name) {
      values.remove(name);
    }

    @Override
    public String[] getValueNames() {
      return values.keySet().toArray(String[]::new);
    }

    @Override
    public byte[] getId() {
      return new byte[0];
    }

    @Override
    public SSLSessionContext getSessionContext() {
      return null;
    }

    @Override
    public long getCreationTime() {
      return 0;
    }

    @Override
    public long getLastAccessedTime() {
      return 0;
    }

    @Override
    public void invalidate() {}

    @Override
    public boolean isValid() {
      return true;
    }

    @Override
    public Certificate[] getLocalCertificates() {
      return null;
    }

    @Override
    public Principal getPeerPrincipal() {
      return null;
    }

    @Override
    public Principal getLocalPrincipal() {
      return null;
    }

    @Override
    public String getCipherSuite() {
      return "TLS_AES_128_GCM_SHA256";
    }

    @Override
    public String getProtocol() {
      return "TLSv1.3";
    }

    @Override
    public String getPeerHost() {
      return null;
    }

    @Override
    public int getPeerPort() {
      return 0;
    }

    @Override
    public int getPacketBufferSize() {
      return 0;
    }

    @Override
    public int getApplicationBufferSize() {
      return 0;
    }
  }
}
