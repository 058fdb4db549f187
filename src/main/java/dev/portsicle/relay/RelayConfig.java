package dev.portsicle.relay;

import java.time.Duration;

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
 * @param tls              HTTPS and wss:// on {@code port}; null for plain HTTP
 */
public record RelayConfig(String bindHost, int port, String domain, String publicUrl,
                          int maxInitialLine, int maxHeadSize, Duration idleTimeout, int threads,
                          PortRange tcpPorts, String secret, RelayTls tls) {

    @Override
    public String toString() { // the secret stays out of logs
        return "RelayConfig[" + bindHost + ":" + port + ", domain=" + domain + ", publicUrl=" + publicUrl
               + ", tcpPorts=" + tcpPorts + ", secret=" + (secret == null ? "random" : "***") + ", tls=" + tls + "]";
    }

    public static final int DEFAULT_PORT = 8080;

    public static RelayConfig defaults() {
        return new RelayConfig("0.0.0.0", DEFAULT_PORT, null, null, 8 * 1024, 64 * 1024, Duration.ofMinutes(5),
                Runtime.getRuntime().availableProcessors(), null, null, null);
    }

    public RelayConfig withBind(String host, int port) {
        return new RelayConfig(host, port, domain, publicUrl, maxInitialLine, maxHeadSize, idleTimeout, threads, tcpPorts, secret, tls);
    }

    public RelayConfig withDomain(String domain) {
        return new RelayConfig(bindHost, port, domain, publicUrl, maxInitialLine, maxHeadSize, idleTimeout, threads, tcpPorts, secret, tls);
    }

    public RelayConfig withPublicUrl(String publicUrl) {
        return new RelayConfig(bindHost, port, domain, publicUrl, maxInitialLine, maxHeadSize, idleTimeout, threads, tcpPorts, secret, tls);
    }

    public RelayConfig withIdleTimeout(Duration idleTimeout) {
        return new RelayConfig(bindHost, port, domain, publicUrl, maxInitialLine, maxHeadSize, idleTimeout, threads, tcpPorts, secret, tls);
    }

    public RelayConfig withThreads(int threads) {
        return new RelayConfig(bindHost, port, domain, publicUrl, maxInitialLine, maxHeadSize, idleTimeout, threads, tcpPorts, secret, tls);
    }

    public RelayConfig withTcpPorts(PortRange tcpPorts) {
        return new RelayConfig(bindHost, port, domain, publicUrl, maxInitialLine, maxHeadSize, idleTimeout, threads,
                tcpPorts, secret, tls);
    }

    public RelayConfig withSecret(String secret) {
        return new RelayConfig(bindHost, port, domain, publicUrl, maxInitialLine, maxHeadSize, idleTimeout, threads,
                tcpPorts, secret, tls);
    }

    public RelayConfig withTls(RelayTls tls) {
        return new RelayConfig(bindHost, port, domain, publicUrl, maxInitialLine, maxHeadSize, idleTimeout, threads,
                tcpPorts, secret, tls);
    }
}
