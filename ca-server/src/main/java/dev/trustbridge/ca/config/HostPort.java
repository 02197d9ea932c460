package dev.trustbridge.ca.config;

import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A listen address: a host name, IPv4 address or bracketed IPv6 address, and a port in 0..65535 (0
 * picks a free port, for tests). The host is not resolved here.
 */
public record HostPort(String host, int port) {
  private static final Pattern HOST_NAME =
      Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+");
  private static final String SHAPE = "must be host:port, e.g. 127.0.0.1:8443 or [::1]:8443";

  public HostPort {
    Objects.requireNonNull(host, "host");
    if (!HOST_NAME.matcher(host).matches()
        && !(IPV6.matcher(host).matches() && host.contains(":"))) {
      throw new IllegalArgumentException(SHAPE);
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be between 0 and 65535");
    }
  }

  /**
   * Parses {@code host:port} or {@code [ipv6]:port}.
   *
   * @throws IllegalArgumentException if the text has another shape or the port is out of range
   */
  public static HostPort parse(String text) {
    Objects.requireNonNull(text, "text");
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new IllegalArgumentException(SHAPE);
    }
    String host = text.substring(0, colon);
    String portText = text.substring(colon + 1);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
      if (!host.contains(":")) {
        throw new IllegalArgumentException(SHAPE);
      }
    } else if (host.contains(":")) {
      throw new IllegalArgumentException(SHAPE);
    }
    if (!portText.chars().allMatch(c -> c >= '0' && c <= '9') || portText.length() > 5) {
      throw new IllegalArgumentException(SHAPE);
    }
    return new HostPort(host, Integer.parseInt(portText));
  }

  /** A socket address for binding; resolves the host. */
  public InetSocketAddress toSocketAddress() {
    return new InetSocketAddress(host, port);
  }

  /** The address as written in the configuration, IPv6 hosts in brackets. */
  @Override
  public String toString() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
