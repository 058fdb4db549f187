package dev.portsicle.agent;

import dev.portsicle.protocol.Heartbeat;
import dev.portsicle.protocol.StreamHeaders;

import java.net.URI;
import java.time.Duration;
import java.util.List;
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
 * @param token         the relay's agent token, or null for an open relay
 * @param name          a chosen tunnel name (on a relay with a domain), or null for a random id
 * @param access        who may reach the tunnel; the relay enforces it
 * @param heartbeat     when to ping a quiet relay, and how long a silent one gets before we reconnect
 */
public record AgentConfig(URI server, String localHost, int localPort, HostHeader hostHeader, Duration maxBackoff,
                          String kind, String token, String name, Access access,
                          Heartbeat.Timing heartbeat) {

    /**
     * Who may reach the tunnel: {@code basicAuth} ("user:password") and visitor address blocks; each may
     * be null or empty.
     */
    public record Access(String basicAuth, List<String> allowCidrs, List<String> denyCidrs) {
        public static final Access OPEN = new Access(null, List.of(), List.of());

        @Override
        public String toString() { // the password stays out of logs
            return "Access[basicAuth=" + (basicAuth == null ? "none" : "***") + ", allow=" + allowCidrs
                   + ", deny=" + denyCidrs + "]";
        }
    }

    @Override
    public String toString() { // so do the token and the password
        return "AgentConfig[" + server + " -> " + localHost + ":" + localPort + ", " + kind + ", name=" + name
               + ", token=" + (token == null ? "none" : "***") + ", " + access + "]";
    }

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
                StreamHeaders.KIND_HTTP, null, null, Access.OPEN,
                Heartbeat.Timing.DEFAULT);
    }

    public static AgentConfig tcp(URI server, String localHost, int localPort) {
        return new AgentConfig(server, localHost, localPort, HostHeader.REWRITE, Duration.ofSeconds(30),
                StreamHeaders.KIND_TCP, null, null, Access.OPEN,
                Heartbeat.Timing.DEFAULT);
    }

    boolean isTcp() {
        return StreamHeaders.KIND_TCP.equals(kind);
    }

    public AgentConfig withHostHeader(HostHeader hostHeader) {
        return new AgentConfig(server, localHost, localPort, hostHeader, maxBackoff, kind, token, name, access, heartbeat);
    }

    public AgentConfig withMaxBackoff(Duration maxBackoff) {
        return new AgentConfig(server, localHost, localPort, hostHeader, maxBackoff, kind, token, name, access, heartbeat);
    }

    public AgentConfig withToken(String token) {
        return new AgentConfig(server, localHost, localPort, hostHeader, maxBackoff, kind, token, name, access, heartbeat);
    }

    public AgentConfig withName(String name) {
        return new AgentConfig(server, localHost, localPort, hostHeader, maxBackoff, kind, token, name, access, heartbeat);
    }

    public AgentConfig withAccess(Access access) {
        return new AgentConfig(server, localHost, localPort, hostHeader, maxBackoff, kind, token, name, access, heartbeat);
    }

    public AgentConfig withHeartbeat(Heartbeat.Timing heartbeat) {
        return new AgentConfig(server, localHost, localPort, hostHeader, maxBackoff, kind, token, name, access,
                heartbeat);
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
        return URI.create(scheme + "://" + server.getRawAuthority() + path);
    }

    /** What the local server sees as Host when it is rewritten. */
    String localAuthority() {
        String host = localHost.contains(":") && !localHost.startsWith("[") ? "[" + localHost + "]" : localHost;
        return host + ":" + localPort;
    }
}
