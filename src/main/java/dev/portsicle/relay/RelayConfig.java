package dev.portsicle.relay;

import dev.portsicle.net.Cidr;
import dev.portsicle.protocol.Heartbeat;
import dev.portsicle.protocol.Multiplexer;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * How a relay runs. Defaults live in {@link #defaults()} and nowhere else; each {@code withX} returns a
 * copy with one setting changed.
 *
 * @param bindHost            address to listen on
 * @param port                port for visitors and agents alike; 0 picks a free one
 * @param domain              with wildcard DNS, tunnels are also {@code <id>.<domain>}; null for path mode only
 * @param publicUrl           how visitors reach this relay (e.g. {@code https://tunnel.example.com}); null to
 *                            derive it from the address each agent dialled
 * @param maxInitialLine      longest visitor request line; 414 beyond
 * @param maxHeadSize         largest visitor request head; 431 beyond
 * @param idleTimeout         a visitor connection idle between requests for this long is closed
 * @param headerTimeout       a visitor request head must arrive whole within this time of its first byte
 * @param threads             event-loop threads; one per core suits a relay best (fewer thread hand-offs)
 * @param tcpPorts            ports for TCP tunnels; null when TCP tunnels are off
 * @param secret              signs resume tokens, so agents get their URL back after a relay restart (or
 *                            from another relay with the same secret); null for a random one per process
 * @param tokens              the agent tokens accepted; null for an open relay (anyone may open tunnels)
 * @param trustedProxies      proxies in front of the relay whose {@code X-Forwarded-For} is believed
 * @param maxTunnelsPerAgent  tunnels one agent session may hold at once, unless its token says otherwise
 * @param maxStreamsPerTunnel exchanges (and TCP connections) one tunnel carries at once; 503 beyond
 * @param streamKeep          how long a stream waits, after an exchange, for its visitor connection's next
 *                            request before it closes; meanwhile it counts as one of the tunnel's streams
 *                            until a new request at the limit takes its place
 * @param heartbeat           when to ping a quiet agent, and how long a silent one keeps its tunnels
 * @param tls                 HTTPS and wss:// on {@code port}; null for plain HTTP
 */
public record RelayConfig(String bindHost, int port, String domain, String publicUrl,
                          int maxInitialLine, int maxHeadSize, Duration idleTimeout, Duration headerTimeout,
                          int threads, PortRange tcpPorts, String secret, AgentTokens tokens,
                          List<Cidr> trustedProxies, int maxTunnelsPerAgent, int maxStreamsPerTunnel,
                          Duration streamKeep, Heartbeat.Timing heartbeat, RelayTls tls) {

    public static final int DEFAULT_PORT = 8080;
    /** The default {@link #streamKeep()}, a constant so the command line's help can name it. */
    public static final int DEFAULT_STREAM_KEEP_SECONDS = 5;

    public static RelayConfig defaults() {
        return new RelayConfig("0.0.0.0", DEFAULT_PORT, null, null, 8 * 1024, 64 * 1024, Duration.ofMinutes(5),
                Duration.ofSeconds(30), Runtime.getRuntime().availableProcessors(), null, null, null, List.of(), 16,
                Multiplexer.MAX_CONCURRENT_STREAMS, Duration.ofSeconds(DEFAULT_STREAM_KEEP_SECONDS), Heartbeat.Timing.DEFAULT,
                null);
    }

    @Override
    public String toString() { // the secret and the tokens stay out of logs
        return "RelayConfig[" + bindHost + ":" + port + ", domain=" + domain + ", publicUrl=" + publicUrl
               + ", tcpPorts=" + tcpPorts + ", secret=" + (secret == null ? "random" : "***")
               + ", tokens=" + (tokens == null ? "none (open relay)" : tokens) + ", trustedProxies=" + trustedProxies
               + ", maxTunnelsPerAgent=" + maxTunnelsPerAgent + ", maxStreamsPerTunnel=" + maxStreamsPerTunnel
               + ", tls=" + tls + "]";
    }

    public RelayConfig withBind(String host, int port) {
        return edit(c -> {
            c.bindHost = host;
            c.port = port;
        });
    }

    public RelayConfig withDomain(String domain) {
        return edit(c -> c.domain = domain);
    }

    public RelayConfig withPublicUrl(String publicUrl) {
        return edit(c -> c.publicUrl = publicUrl);
    }

    public RelayConfig withIdleTimeout(Duration idleTimeout) {
        return edit(c -> c.idleTimeout = idleTimeout);
    }

    public RelayConfig withHeaderTimeout(Duration headerTimeout) {
        return edit(c -> c.headerTimeout = headerTimeout);
    }

    public RelayConfig withThreads(int threads) {
        return edit(c -> c.threads = threads);
    }

    public RelayConfig withTcpPorts(PortRange tcpPorts) {
        return edit(c -> c.tcpPorts = tcpPorts);
    }

    public RelayConfig withSecret(String secret) {
        return edit(c -> c.secret = secret);
    }

    public RelayConfig withTokens(AgentTokens tokens) {
        return edit(c -> c.tokens = tokens);
    }

    public RelayConfig withTrustedProxies(List<Cidr> trustedProxies) {
        return edit(c -> c.trustedProxies = List.copyOf(trustedProxies));
    }

    public RelayConfig withMaxTunnelsPerAgent(int maxTunnelsPerAgent) {
        return edit(c -> c.maxTunnelsPerAgent = maxTunnelsPerAgent);
    }

    public RelayConfig withMaxStreamsPerTunnel(int maxStreamsPerTunnel) {
        return edit(c -> c.maxStreamsPerTunnel = maxStreamsPerTunnel);
    }

    public RelayConfig withStreamKeep(Duration streamKeep) {
        return edit(c -> c.streamKeep = streamKeep);
    }

    public RelayConfig withHeartbeat(Heartbeat.Timing heartbeat) {
        return edit(c -> c.heartbeat = heartbeat);
    }

    public RelayConfig withTls(RelayTls tls) {
        return edit(c -> c.tls = tls);
    }

    private RelayConfig edit(Consumer<Copy> change) {
        Copy copy = new Copy(this);
        change.accept(copy);
        return copy.build();
    }

    /** A settable copy, so that each {@code withX} names only what it changes. */
    private static final class Copy {
        String bindHost;
        int port;
        String domain;
        String publicUrl;
        int maxInitialLine;
        int maxHeadSize;
        Duration idleTimeout;
        Duration headerTimeout;
        int threads;
        PortRange tcpPorts;
        String secret;
        AgentTokens tokens;
        List<Cidr> trustedProxies;
        int maxTunnelsPerAgent;
        int maxStreamsPerTunnel;
        Duration streamKeep;
        Heartbeat.Timing heartbeat;
        RelayTls tls;

        Copy(RelayConfig c) {
            bindHost = c.bindHost;
            port = c.port;
            domain = c.domain;
            publicUrl = c.publicUrl;
            maxInitialLine = c.maxInitialLine;
            maxHeadSize = c.maxHeadSize;
            idleTimeout = c.idleTimeout;
            headerTimeout = c.headerTimeout;
            threads = c.threads;
            tcpPorts = c.tcpPorts;
            secret = c.secret;
            tokens = c.tokens;
            trustedProxies = c.trustedProxies;
            maxTunnelsPerAgent = c.maxTunnelsPerAgent;
            maxStreamsPerTunnel = c.maxStreamsPerTunnel;
            streamKeep = c.streamKeep;
            heartbeat = c.heartbeat;
            tls = c.tls;
        }

        RelayConfig build() {
            return new RelayConfig(bindHost, port, domain, publicUrl, maxInitialLine, maxHeadSize, idleTimeout,
                    headerTimeout, threads, tcpPorts, secret, tokens, trustedProxies, maxTunnelsPerAgent,
                    maxStreamsPerTunnel, streamKeep, heartbeat, tls);
        }
    }
}
