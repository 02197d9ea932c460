package dev.trustbridge.ca.upstream;

/** No upstream: self-signed roots made and rotated by Trustbridge itself. */
public record SelfSigned() implements UpstreamAuthority {
  @Override
  public String type() {
    return "self-signed";
  }
}
