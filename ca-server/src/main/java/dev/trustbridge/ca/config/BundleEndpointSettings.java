package dev.trustbridge.ca.config;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * The SPIFFE bundle endpoint of one hosted trust domain ({@code trust_domains[].bundle_endpoint}).
 *
 * @param listen host:port of the HTTPS listener
 * @param profile {@code https_spiffe} (served with this server's own X509-SVID) or {@code
 *     https_web} (the operator's certificate and key files, reloaded when they change)
 * @param certificateFile https_web: PEM chain, leaf first
 * @param keyFile https_web: PEM private key
 */
public record BundleEndpointSettings(
    HostPort listen, Profile profile, Optional<Path> certificateFile, Optional<Path> keyFile) {
  /** The SPIFFE federation profiles. */
  public enum Profile {
    HTTPS_SPIFFE,
    HTTPS_WEB
  }

  public BundleEndpointSettings {
    Objects.requireNonNull(listen, "listen");
    Objects.requireNonNull(profile, "profile");
    Objects.requireNonNull(certificateFile, "certificateFile");
    Objects.requireNonNull(keyFile, "keyFile");
    if ((profile == Profile.HTTPS_WEB) != (certificateFile.isPresent() && keyFile.isPresent())) {
      throw new IllegalArgumentException(
          "https_web needs certificate_file and key_file; https_spiffe takes neither");
    }
  }
}
