package io.taskloop.task;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.Locale;

/**
 * The SSRF guard of http tasks and webhooks: which hosts outbound requests may reach. Rules
 * are {@code *}, an exact host, {@code *.suffix}, or an IP range in CIDR form (matched against
 * IP literals in the URL). A deny rule wins over an allow rule. The URL is judged as written,
 * when a task is made; then the address a request actually connects to is judged against the
 * deny rules ({@link #refusalOfAddress}), so a name that resolves (or is made to resolve, DNS
 * rebinding) to a denied address is refused before anything is sent.
 */
public final class OutboundGuard {

  private final List<String> allow;
  private final List<String> deny;
  private final Map<String, List<String>> tenantAllow;

  public OutboundGuard(List<String> allow, List<String> deny) {
    this(allow, deny, Map.of());
  }

  /** {@code tenantAllow}: a tenant named there reaches only hosts its own rules allow too (tenant_http_allow). */
  public OutboundGuard(List<String> allow, List<String> deny, Map<String, List<String>> tenantAllow) {
    this.allow = allow;
    this.deny = deny;
    this.tenantAllow = Map.copyOf(tenantAllow);
  }

  /**
   * The guard of a node with auth on: besides {@code deny}, loopback and every address of this
   * machine's interfaces are denied, so no tenant reaches the node's own routes (or anything
   * else listening here) through an http task or a webhook.
   */
  public static OutboundGuard protectingThisMachine(List<String> allow, List<String> deny,
      Map<String, List<String>> tenantAllow) {
    List<String> all = new ArrayList<>(deny);
    all.addAll(List.of("127.0.0.0/8", "::1/128", "0.0.0.0/8", "::/128", "localhost"));
    try {
      for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        for (InetAddress address : Collections.list(nic.getInetAddresses())) {
          String ip = address.getHostAddress();
          int zone = ip.indexOf('%');
          all.add((zone < 0 ? ip : ip.substring(0, zone)) + (address.getAddress().length == 4 ? "/32" : "/128"));
        }
      }
    } catch (SocketException e) {
      // no interfaces listed: loopback is denied all the same
    }
    return new OutboundGuard(allow, List.copyOf(all), tenantAllow);
  }

  /** Null when a request may go to the IP address it connected to; otherwise why not. */
  public String refusalOfAddress(String ip) {
    String host = ip.toLowerCase(Locale.ROOT);
    int zone = host.indexOf('%');
    host = zone < 0 ? host : host.substring(0, zone);
    for (String rule : deny) {
      if (matches(rule, host)) {
        return "the address connected to, " + host + ", is denied by rule '" + rule + "'";
      }
    }
    return null;
  }

  /** Null when the URL may be reached; otherwise why not. */
  public String refusal(URI url) {
    return refusal(url, "");
  }

  /** Null when tenant {@code tenant}'s task may reach the URL; otherwise why not. */
  public String refusal(URI url, String tenant) {
    String host = url.getHost().toLowerCase(Locale.ROOT);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    for (String rule : deny) {
      if (matches(rule, host)) {
        return "host " + host + " is denied by rule '" + rule + "' (http_deny)";
      }
    }
    List<String> own = tenantAllow.get(tenant);
    if (own != null) {
      String h = host;
      if (own.stream().noneMatch(rule -> matches(rule, h))) {
        return "host " + host + " is not in tenant " + tenant + "'s allow list (tenant_http_allow)";
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
