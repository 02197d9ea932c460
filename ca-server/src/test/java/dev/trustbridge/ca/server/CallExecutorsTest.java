package dev.trustbridge.ca.server;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.trustbridge.proto.admin.v1.EntryAdminGrpc;
import dev.trustbridge.proto.ca.v1.CertificateAuthorityGrpc;
import dev.trustbridge.proto.istio.v1.auth.IstioCertificateServiceGrpc;
import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Which calls run on the per-core issuance pool (null: the server's default) and which do not. */
class CallExecutorsTest {
  private final CallExecutors executors = new CallExecutors();

  @AfterEach
  void close() {
    executors.close();
  }

  private static <Q, R> ServerCall<Q, R> call(MethodDescriptor<Q, R> method) {
    return new ServerCall<>() {
      @Override
      public void request(int numMessages) {}

      @Override
      public void sendHeaders(Metadata headers) {}

      @Override
      public void sendMessage(R message) {}

      @Override
      public void close(Status status, Metadata trailers) {}

      @Override
      public boolean isCancelled() {
        return false;
      }

      @Override
      public Attributes getAttributes() {
        return Attributes.EMPTY;
      }

      @Override
      public MethodDescriptor<Q, R> getMethodDescriptor() {
        return method;
      }
    };
  }

  private static Metadata bearer() {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer token");
    return headers;
  }

  @Test
  void issuanceOverMtls_runsOnTheIssuancePool() {
    assertNull(
        executors.getExecutor(
            call(CertificateAuthorityGrpc.getSignX509SvidMethod()), new Metadata()));
    assertNull(
        executors.getExecutor(
            call(IstioCertificateServiceGrpc.getCreateCertificateMethod()), new Metadata()));
  }

  @Test
  void tokenOrJwtCalls_andEveryOtherMethod_runOnTheGrowingPool() {
    var signWithToken =
        executors.getExecutor(call(CertificateAuthorityGrpc.getSignX509SvidMethod()), bearer());
    assertNotNull(signWithToken);
    assertNotSame(executors.issuance(), signWithToken);
    assertNotNull(
        executors.getExecutor(
            call(IstioCertificateServiceGrpc.getCreateCertificateMethod()), bearer()));
    assertNotNull(
        executors.getExecutor(
            call(CertificateAuthorityGrpc.getWatchBundlesMethod()), new Metadata()));
    assertNotNull(
        executors.getExecutor(call(EntryAdminGrpc.getCreateEntryMethod()), new Metadata()));
  }
}
