package io.taskloop.task;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;

/**
 * The SSRF guard of http tasks and webhooks: which hosts outbound requests may reach. Rules
 * are {@code *}, an exact host, {@code *.suffix}, or an IP range in CIDR form (matched against
 * IP literals in the URL). A deny rule wins over an allow rule. The guard judges the URL as
 * written; it does not resolve names.
 */
public final class OutboundGuard {

  private final List<String> allow;
  private final List<String> deny;

  public OutboundGuard(List<String> allow, List<String> deny) {
    this.allow = allow;
    this.deny = deny;
  }

  /** Null when the URL may be reached; otherwise why not. */
  public String refusal(URI url) {
    String host = url.getHost().toLowerCase(Locale.ROOT);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    for (String rule : deny) {
      if (matches(rule, host)) {
        return "host " + host + " is denied by rule '" + rule + "' (http_deny)";
      }
    }
    for (String rule : allow) {
      if (matches(rule, host)) {
        return null;
      }
    }
    return "host " + host + " is not in the allow list (http_allow)";
  }

  private static boolean matches(String rule, String host) {
    String r = rule.toLowerCase(Locale.ROOT);
    if (r.equals("*") || r.equals(host)) {
      return true;
    }
    if (r.startsWith("*.")) {
      return host.endsWith(r.substring(1));
    }
    int slash = r.indexOf('/');
    return slash > 0 && isIpLiteral(host) && inRange(r.substring(0, slash), Integer.parseInt(r.substring(slash + 1)), host);
  }

  private static boolean isIpLiteral(String host) {
    return host.indexOf(':') >= 0 || host.chars().allMatch(c -> c == '.' || Character.isDigit(c));
  }

  private static boolean inRange(String network, int bits, String host) {
    try {
      byte[] net = InetAddress.getByName(network).getAddress();
      byte[] ip = InetAddress.getByName(host).getAddress();
      if (net.length != ip.length) {
        return false;
      }
      for (int i = 0; i < net.length && bits > 0; i++, bits -= 8) {
        int mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
        if ((net[i] & mask) != (ip[i] & mask)) {
          return false;
        }
      }
      return true;
    } catch (UnknownHostException e) {
      return false; // literals only: nothing is looked up
    }
  }
}
