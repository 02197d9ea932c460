package dev.trustbridge.ca.server;

import dev.trustbridge.ca.authority.TrustDomainAuthority;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * {@code trustbridge_ca_expiry_seconds{trust_domain, kind, state, id}}: the notAfter of every CA in
 * the journals, so operators can alert on any of them (an old root still in the bundle, a prepared
 * successor) and watch each rotation step.
 */
final class AuthorityMetrics {
  private final MultiGauge expiry;

  AuthorityMetrics(MeterRegistry registry) {
    this.expiry =
        MultiGauge.builder("trustbridge_ca_expiry_seconds")
            .description("notAfter of each CA in the authority journal, seconds since the epoch")
            .register(registry);
  }

  void update(Collection<TrustDomainAuthority> authorities) {
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    for (TrustDomainAuthority authority : authorities) {
      for (TrustDomainAuthority.AuthorityInfo info : authority.list()) {
        if (info.revoked()) {
          continue;
        }
        rows.add(
            MultiGauge.Row.of(
                Tags.of(
                    "trust_domain", info.record().trustDomain().name(),
                    "kind", info.record().kind().name().toLowerCase(Locale.ROOT),
                    "state", info.record().state().name().toLowerCase(Locale.ROOT),
                    "id", info.record().id()),
                info.record().notAfter().getEpochSecond()));
      }
    }
    expiry.register(rows, true);
  }
}
