package dev.portsicle.relay;

import dev.portsicle.net.Cidr;
import dev.portsicle.protocol.Heartbeat;
import dev.portsicle.protocol.Multiplexer;

import java.time.Duration;
import java.util.List;

/**
 * How a relay runs. Defaults live in {@link #defaults()} and nowhere else.
 *
 * @param bindHost         address to listen on
 * @param port             port for visitors and agents alike; 0 picks a free one
 * @param domain           with wildcard DNS, tunnels are also {@code <id>.<domain>}; null for path mode only
 * @param publicUrl        how visitors reach this relay (e.g. {@code https://tunnel.example.com}); null to
 *                         derive it from the address each agent dialled
 * @param maxInitialLine   longest visitor request line; 414 beyond
 * @param maxHeadSize      largest visitor request head; 431 beyond
 * @param idleTimeout      a visitor connection idle between requests for this long is closed
 * @param threads          event-loop threads; one per core suits a relay best (fewer thread hand-offs)
 * @param tcpPorts         ports for TCP tunnels; null when TCP tunnels are off
 * @param secret           signs resume tokens, so agents get their URL back after a relay restart (or from
 *                         another relay with the same secret); null for a random one per process
 * @param tokens           the agent tokens accepted; null for an open relay (anyone may open tunnels)
 * @param trustedProxies   proxies in front of the relay whose {@code X-Forwarded-For} is believed
 * @param maxTunnelsPerAgent tunnels one agent session may hold at once, unless its token says otherwise
 * @param maxStreamsPerTunnel exchanges (and TCP connections) one tunnel carries at once; 503 beyond
 * @param headerTimeout    a visitor request head must arrive whole within this time of its first byte
 * @param heartbeat        when to ping a quiet agent, and how long a silent one keeps its tunnels
 */
public record RelayConfig(String bindHost, int port, String domain, String publicUrl,
                          int maxInitialLine, int maxHeadSize, Duration idleTimeout, int threads,
                          PortRange tcpPorts, String secret, AgentTokens tokens,
                          List<Cidr> trustedProxies, int maxTunnelsPerAgent, int maxStreamsPerTunnel,
                          Duration headerTimeout,
                          Heartbeat.Timing heartbeat) {

    @Override
    public String toString() { // the secret stays out of logs
        return "RelayConfig[" + bindHost + ":" + port + ", domain=" + domain + ", publicUrl=" + publicUrl
               + ", tcpPorts=" + tcpPorts + ", secret=" + (secret == null ? "random" : "***")
               + ", tokens=" + (tokens == null ? "none (open relay)" : tokens) + ", trustedProxies=" + trustedProxies
               + ", maxTunnelsPerAgent=" + maxTunnelsPerAgent + "]";
    }

    public static final int DEFAULT_PORT = 8080;

    public static RelayConfig defaults() {
        return new RelayConfig("0.0.0.0", DEFAULT_PORT, null, null, 8 * 1024, 64 * 1024, Duration.ofMinutes(5),
                Runtime.getRuntime().availableProcessors(), null, null, null, List.of(), 16, Multiplexer.MAX_CONCURRENT_STREAMS,
                Duration.ofSeconds(30), Heartbeat.Timing.DEFAULT);
    }

    public RelayConfig withBind(String host, int port) {
        return new RelayConfig(host, port, domain, publicUrl, maxInitialLine, maxHeadSize, idleTimeout, threads, tcpPorts, secret,
                tokens, trustedProxies, maxTunnelsPerAgent,
                maxStreamsPerTunnel, headerTimeout, heartbeat);
    }

    public RelayConfig withDomain(String domain) {
        return new RelayConfig(bindHost, port, domain, publicUrl, maxInitialLine, maxHeadSize, idleTimeout, threads, tcpPorts, secret,
                tokens, trustedProxies, maxTunnelsPerAgent,
                maxStreamsPerTunnel, headerTimeout, heartbeat);
    }

    public RelayConfig withPublicUrl(String publicUrl) {
        return new RelayConfig(bindHost, port, domain, publicUrl, maxInitialLine, maxHeadSize, idleTimeout, threads, tcpPorts, secret,
                tokens, trustedProxies, maxTunnelsPerAgent,
                maxStreamsPerTunnel, headerTimeout, heartbeat);
    }

    public RelayConfig withIdleTimeout(Duration idleTimeout) {
        return new RelayConfig(bindHost, port, domain, publicUrl, maxInitialLine, maxHeadSize, idleTimeout, threads, tcpPorts, secret,
                tokens, trustedProxies, maxTunnelsPerAgent,
                maxStreamsPerTunnel, headerTimeout, heartbeat);
    }

    public RelayConfig withThreads(int threads) {
        return new RelayConfig(bindHost, port, domain, publicUrl, maxInitialLine, maxHeadSize, idleTimeout, threads, tcpPorts, secret,
                tokens, trustedProxies, maxTunnelsPerAgent,
                maxStreamsPerTunnel, headerTimeout, heartbeat);
    }

    public RelayConfig withTcpPorts(PortRange tcpPorts) {
        return new RelayConfig(bindHost, port, domain, publicUrl, maxInitialLine, maxHeadSize, idleTimeout, threads,
                tcpPorts, secret,
                tokens, trustedProxies, maxTunnelsPerAgent,
                maxStreamsPerTunnel, headerTimeout, heartbeat);
    }

    public RelayConfig withSecret(String secret) {
        return new RelayConfig(bindHost, port, domain, publicUrl, maxInitialLine, maxHeadSize, idleTimeout, threads,
                tcpPorts, secret,
                tokens, trustedProxies, maxTunnelsPerAgent,
                maxStreamsPerTunnel, headerTimeout, heartbeat);
    }

    public RelayConfig withTokens(AgentTokens tokens) {
        return new RelayConfig(bindHost, port, domain, publicUrl, maxInitialLine, maxHeadSize, idleTimeout, threads,
                tcpPorts, secret, tokens, trustedProxies, maxTunnelsPerAgent,
                maxStreamsPerTunnel, headerTimeout, heartbeat);
    }

    public RelayConfig withTrustedProxies(List<Cidr> trustedProxies) {
        return new RelayConfig(bindHost, port, domain, publicUrl, maxInitialLine, maxHeadSize, idleTimeout, threads,
                tcpPorts, secret, tokens, List.copyOf(trustedProxies), maxTunnelsPerAgent,
                maxStreamsPerTunnel, headerTimeout, heartbeat);
    }

    public RelayConfig withMaxTunnelsPerAgent(int maxTunnelsPerAgent) {
        return new RelayConfig(bindHost, port, domain, publicUrl, maxInitialLine, maxHeadSize, idleTimeout, threads,
                tcpPorts, secret, tokens, trustedProxies, maxTunnelsPerAgent,
                maxStreamsPerTunnel, headerTimeout, heartbeat);
    }

    public RelayConfig withHeaderTimeout(Duration headerTimeout) {
        return new RelayConfig(bindHost, port, domain, publicUrl, maxInitialLine, maxHeadSize, idleTimeout, threads,
                tcpPorts, secret, tokens, trustedProxies, maxTunnelsPerAgent, maxStreamsPerTunnel, headerTimeout, heartbeat);
    }

    public RelayConfig withHeartbeat(Heartbeat.Timing heartbeat) {
        return new RelayConfig(bindHost, port, domain, publicUrl, maxInitialLine, maxHeadSize, idleTimeout, threads,
                tcpPorts, secret, tokens, trustedProxies, maxTunnelsPerAgent, maxStreamsPerTunnel, headerTimeout, heartbeat);
    }

    public RelayConfig withMaxStreamsPerTunnel(int maxStreamsPerTunnel) {
        return new RelayConfig(bindHost, port, domain, publicUrl, maxInitialLine, maxHeadSize, idleTimeout, threads,
                tcpPorts, secret, tokens, trustedProxies, maxTunnelsPerAgent, maxStreamsPerTunnel, headerTimeout,
                heartbeat);
    }
}
