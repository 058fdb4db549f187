package dev.portsicle.agent;

import dev.portsicle.protocol.Heartbeat;
import dev.portsicle.protocol.Protocol;
import dev.portsicle.protocol.StreamHeaders;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * How an agent runs. Defaults live in {@link #http} and {@link #tcp} and nowhere else; each {@code withX}
 * returns a copy with one setting changed.
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
 * @param trust         which relay certificates to accept on a wss:// or https:// relay URL
 */
public record AgentConfig(URI server, String localHost, int localPort, HostHeader hostHeader, Duration maxBackoff,
                          String kind, String token, String name, Access access, Heartbeat.Timing heartbeat,
                          RelayTrust trust) {

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

    public static AgentConfig http(URI server, String localHost, int localPort) {
        return new AgentConfig(server, localHost, localPort, HostHeader.REWRITE, Duration.ofSeconds(30),
                StreamHeaders.KIND_HTTP, null, null, Access.OPEN, Heartbeat.Timing.DEFAULT, RelayTrust.SYSTEM);
    }

    public static AgentConfig tcp(URI server, String localHost, int localPort) {
        return http(server, localHost, localPort).edit(c -> c.kind = StreamHeaders.KIND_TCP);
    }

    @Override
    public String toString() { // so do the token and the password
        return "AgentConfig[" + server + " -> " + localHost + ":" + localPort + ", " + kind + ", name=" + name
               + ", token=" + (token == null ? "none" : "***") + ", " + access + ", " + trust + "]";
    }

    boolean isTcp() {
        return StreamHeaders.KIND_TCP.equals(kind);
    }

    public AgentConfig withHostHeader(HostHeader hostHeader) {
        return edit(c -> c.hostHeader = hostHeader);
    }

    public AgentConfig withMaxBackoff(Duration maxBackoff) {
        return edit(c -> c.maxBackoff = maxBackoff);
    }

    public AgentConfig withToken(String token) {
        return edit(c -> c.token = token);
    }

    public AgentConfig withName(String name) {
        return edit(c -> c.name = name);
    }

    public AgentConfig withAccess(Access access) {
        return edit(c -> c.access = access);
    }

    public AgentConfig withHeartbeat(Heartbeat.Timing heartbeat) {
        return edit(c -> c.heartbeat = heartbeat);
    }

    public AgentConfig withTrust(RelayTrust trust) {
        return edit(c -> c.trust = trust);
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
                ? Protocol.TUNNEL_PATH : server.getRawPath();
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

    private AgentConfig edit(Consumer<Copy> change) {
        Copy copy = new Copy(this);
        change.accept(copy);
        return copy.build();
    }

    /** A settable copy, so that each {@code withX} names only what it changes. */
    private static final class Copy {
        URI server;
        String localHost;
        int localPort;
        HostHeader hostHeader;
        Duration maxBackoff;
        String kind;
        String token;
        String name;
        Access access;
        Heartbeat.Timing heartbeat;
        RelayTrust trust;

        Copy(AgentConfig c) {
            server = c.server;
            localHost = c.localHost;
            localPort = c.localPort;
            hostHeader = c.hostHeader;
            maxBackoff = c.maxBackoff;
            kind = c.kind;
            token = c.token;
            name = c.name;
            access = c.access;
            heartbeat = c.heartbeat;
            trust = c.trust;
        }

        AgentConfig build() {
            return new AgentConfig(server, localHost, localPort, hostHeader, maxBackoff, kind, token, name, access,
                    heartbeat, trust);
        }
    }
}
