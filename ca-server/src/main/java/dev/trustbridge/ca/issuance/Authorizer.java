package dev.trustbridge.ca.issuance;

import dev.trustbridge.ca.authn.Caller;
import dev.trustbridge.ca.entry.EntryStore;
import dev.trustbridge.ca.entry.RegistrationEntry;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Decides which SPIFFE ID a caller may obtain: its own again (renewal over mTLS), the ID of an
 * entry parented to it (agent delegation), the ID a join token grants, or the ID its JWT maps to.
 * Everything else is refused with one message, whether or not an entry exists, so that a caller
 * cannot probe which IDs are registered.
 */
public final class Authorizer {
  private static final Pattern ISTIO_WORKLOAD = Pattern.compile("/ns/[^/]+/sa/[^/]+");

  /** The one refusal message. */
  public static final String DENIED = "caller is not authorized for the requested SPIFFE ID";

  /** What the caller may have: the ID and the entry settings that apply to it. */
  public record Grant(
      SpiffeId spiffeId,
      List<String> dnsNames,
      Optional<Duration> ttl,
      Set<TrustDomain> federatesWith) {
    public Grant {
      Objects.requireNonNull(spiffeId, "spiffeId");
      dnsNames = List.copyOf(dnsNames);
      Objects.requireNonNull(ttl, "ttl");
      federatesWith = Set.copyOf(federatesWith);
    }
  }

  private final EntryStore entries;
  private final Set<TrustDomain> hostedTrustDomains;
  private final Set<SpiffeId> nodeAccounts;

  public Authorizer(
      EntryStore entries, Set<TrustDomain> hostedTrustDomains, Set<SpiffeId> nodeAccounts) {
    this.entries = Objects.requireNonNull(entries, "entries");
    this.hostedTrustDomains = Set.copyOf(hostedTrustDomains);
    this.nodeAccounts = Set.copyOf(nodeAccounts);
  }

  /**
   * Authorizes a node account to obtain {@code target} for a workload on its node. Only configured
   * node accounts may do this, only for IDs of their own trust domain, and only for Istio workload
   * identities ({@code /ns/<namespace>/sa/<service account>}), so that a node account can never
   * obtain an agent's, an admin's or the server's ID.
   *
   * @throws TrustbridgeException PERMISSION_DENIED with {@link #DENIED}
   */
  public Grant impersonate(Caller caller, SpiffeId target) {
    Objects.requireNonNull(caller, "caller");
    Objects.requireNonNull(target, "target");
    if (!nodeAccounts.contains(caller.spiffeId())
        || !target.trustDomain().equals(caller.spiffeId().trustDomain())
        || !hostedTrustDomains.contains(target.trustDomain())
        || !ISTIO_WORKLOAD.matcher(target.path()).matches()) {
      throw denied();
    }
    return ownIdentity(target);
  }

  /**
   * Authorizes {@code requested} (or, if empty, the caller's own/mapped ID) for {@code caller}.
   *
   * @throws TrustbridgeException PERMISSION_DENIED with {@link #DENIED}
   */
  public Grant authorize(Caller caller, Optional<SpiffeId> requested) {
    Objects.requireNonNull(caller, "caller");
    SpiffeId wanted = requested.orElse(caller.spiffeId());
    if (!hostedTrustDomains.contains(wanted.trustDomain()) || wanted.isTrustDomainId()) {
      throw denied();
    }
    if (wanted.equals(caller.spiffeId())) {
      return ownIdentity(wanted);
    }
    if (caller instanceof Caller.Svid) {
      // Agent delegation: an entry for the wanted ID parented to the caller.
      return entries.listBySpiffeId(wanted).stream()
          .filter(e -> e.parentId().equals(caller.spiffeId()))
          .findFirst()
          .map(Authorizer::grant)
          .orElseThrow(Authorizer::denied);
    }
    throw denied();
  }

  /** The caller's own ID: settings from its entries where it has any (merged), else defaults. */
  private Grant ownIdentity(SpiffeId id) {
    List<RegistrationEntry> own = entries.listBySpiffeId(id);
    if (own.isEmpty()) {
      return new Grant(id, List.of(), Optional.empty(), Set.of());
    }
    Set<String> dns = new TreeSet<>();
    Set<TrustDomain> federates = new TreeSet<>();
    Optional<Duration> ttl = Optional.empty();
    for (RegistrationEntry entry : own) {
      dns.addAll(entry.dnsNames());
      federates.addAll(entry.federatesWith());
      if (entry.ttl().isPresent()
          && (ttl.isEmpty() || entry.ttl().get().compareTo(ttl.get()) < 0)) {
        ttl = entry.ttl();
      }
    }
    return new Grant(id, List.copyOf(dns), ttl, federates);
  }

  private static Grant grant(RegistrationEntry entry) {
    return new Grant(entry.spiffeId(), entry.dnsNames(), entry.ttl(), entry.federatesWith());
  }

  private static TrustbridgeException denied() {
    return new TrustbridgeException(ErrorCode.PERMISSION_DENIED, DENIED);
  }
}
