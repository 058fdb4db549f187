package dev.portsicle.agent;

import dev.portsicle.protocol.StreamHeaders;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;

/**
 * How an agent runs. Defaults live in {@link #http} and nowhere else.
 *
 * @param server        the relay, as http(s):// or ws(s):// URL; the tunnel path is added when absent
 * @param localHost     the local server's host
 * @param localPort     the local server's port
 * @param hostHeader    what Host the local server sees
 * @param maxBackoff    longest wait between reconnect attempts
 * @param kind          "http" (requests to a web server) or "tcp" (raw connections to any TCP service)
 * @param trust         which relay certificates to accept on a wss:// or https:// relay URL
 */
public record AgentConfig(URI server, String localHost, int localPort, HostHeader hostHeader, Duration maxBackoff,
                          String kind, RelayTrust trust) {

    /** Host header towards the local server: its own address (dev servers check it) or the public one. */
    public enum HostHeader {
        REWRITE, PRESERVE;

        public static HostHeader parse(String value) {
            try {
                return valueOf(value.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--host-header must be 'rewrite' or 'preserve', not '" + value + "'");
            }
        }
    }

    public static AgentConfig http(URI server, String localHost, int localPort) {
        return new AgentConfig(server, localHost, localPort, HostHeader.REWRITE, Duration.ofSeconds(30),
                StreamHeaders.KIND_HTTP, RelayTrust.SYSTEM);
    }

    public static AgentConfig tcp(URI server, String localHost, int localPort) {
        return new AgentConfig(server, localHost, localPort, HostHeader.REWRITE, Duration.ofSeconds(30),
                StreamHeaders.KIND_TCP, RelayTrust.SYSTEM);
    }

    boolean isTcp() {
        return StreamHeaders.KIND_TCP.equals(kind);
    }

    public AgentConfig withHostHeader(HostHeader hostHeader) {
        return new AgentConfig(server, localHost, localPort, hostHeader, maxBackoff, kind, trust);
    }

    public AgentConfig withMaxBackoff(Duration maxBackoff) {
        return new AgentConfig(server, localHost, localPort, hostHeader, maxBackoff, kind, trust);
    }

    public AgentConfig withTrust(RelayTrust trust) {
        return new AgentConfig(server, localHost, localPort, hostHeader, maxBackoff, kind, trust);
    }

    /** The WebSocket URL to dial: ws(s)://host[:port]/_portsicle/tunnel. */
    public URI tunnelUri() {
        String scheme = switch (server.getScheme() == null ? "" : server.getScheme().toLowerCase(Locale.ROOT)) {
            case "http", "ws" -> "ws";
            case "https", "wss" -> "wss";
            default -> throw new IllegalArgumentException(
                    "relay URL must start with http://, https://, ws:// or wss://: " + server);
        };
        if (server.getHost() == null) {
            throw new IllegalArgumentException("relay URL has no host: " + server);
        }
        String path = server.getRawPath() == null || server.getRawPath().isEmpty() || server.getRawPath().equals("/")
                ? dev.portsicle.protocol.Protocol.TUNNEL_PATH : server.getRawPath();
        if (scheme.equals("ws") && !trust.equals(RelayTrust.SYSTEM)) {
            throw new IllegalArgumentException("--ca and --insecure are for https:// and wss:// relay URLs, not " + server);
        }
        return URI.create(scheme + "://" + server.getRawAuthority() + path);
    }

    /** What the local server sees as Host when it is rewritten. */
    String localAuthority() {
        String host = localHost.contains(":") && !localHost.startsWith("[") ? "[" + localHost + "]" : localHost;
        return host + ":" + localPort;
    }
}
