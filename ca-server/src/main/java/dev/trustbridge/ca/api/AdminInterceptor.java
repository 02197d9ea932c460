package dev.trustbridge.ca.api;

import dev.trustbridge.ca.authn.AuthenticationInterceptor;
import dev.trustbridge.ca.authn.Caller;
import dev.trustbridge.ca.entry.EntryStore;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.Objects;
import java.util.Set;

/**
 * Lets only admin identities through to the admin services: a caller with an X509-SVID (never a
 * token) whose ID is the server's local admin ID, a configured admin ID, or the ID of an entry
 * marked admin.
 */
public final class AdminInterceptor implements ServerInterceptor {
  public static final String NOT_ADMIN = "caller is not an admin";

  private final Set<SpiffeId> admins;
  private final EntryStore entries;

  public AdminInterceptor(Set<SpiffeId> admins, EntryStore entries) {
    this.admins = Set.copyOf(admins);
    this.entries = Objects.requireNonNull(entries, "entries");
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    Caller caller = AuthenticationInterceptor.CALLER.get();
    try {
      if (!isAdmin(caller)) {
        throw new TrustbridgeException(ErrorCode.PERMISSION_DENIED, NOT_ADMIN);
      }
    } catch (RuntimeException e) {
      call.close(GrpcErrors.toStatus(e).getStatus(), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return next.startCall(call, headers);
  }

  private boolean isAdmin(Caller caller) {
    return caller instanceof Caller.Svid svid && isAdmin(svid.spiffeId());
  }

  /**
   * True if {@code id} has admin rights: a configured or local admin ID, or an entry marked admin.
   * Callers must have authenticated {@code id} with an X509-SVID.
   */
  public boolean isAdmin(SpiffeId id) {
    return admins.contains(id) || entries.listBySpiffeId(id).stream().anyMatch(e -> e.admin());
  }
}
