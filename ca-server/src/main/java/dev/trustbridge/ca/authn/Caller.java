package dev.trustbridge.ca.authn;

import dev.trustbridge.spiffe.id.SpiffeId;
import java.time.Instant;
import java.util.Objects;

/** An authenticated caller, as proven by exactly one credential. */
public sealed interface Caller permits Caller.Svid, Caller.JoinTokenAgent, Caller.Jwt {

  /** The SPIFFE ID the credential proves or maps to. */
  SpiffeId spiffeId();

  /** A short description for audit records, e.g. {@code svid:spiffe://td/agent}. */
  String auditName();

  /** A caller that presented a valid X509-SVID of a hosted trust domain over mTLS. */
  record Svid(SpiffeId spiffeId, Instant certificateExpiry) implements Caller {
    public Svid {
      Objects.requireNonNull(spiffeId, "spiffeId");
      Objects.requireNonNull(certificateExpiry, "certificateExpiry");
    }

    @Override
    public String auditName() {
      return "svid:" + spiffeId;
    }
  }

  /** An agent that redeemed a one-time join token, which grants exactly one SPIFFE ID. */
  record JoinTokenAgent(SpiffeId spiffeId) implements Caller {
    public JoinTokenAgent {
      Objects.requireNonNull(spiffeId, "spiffeId");
    }

    @Override
    public String auditName() {
      return "join_token:" + spiffeId;
    }
  }

  /** A caller with a valid JWT from a configured issuer, mapped to a SPIFFE ID. */
  record Jwt(SpiffeId spiffeId, String issuerName, String subject) implements Caller {
    public Jwt {
      Objects.requireNonNull(spiffeId, "spiffeId");
      Objects.requireNonNull(issuerName, "issuerName");
      Objects.requireNonNull(subject, "subject");
    }

    @Override
    public String auditName() {
      return "jwt:" + issuerName + ":" + subject;
    }
  }
}
