package dev.portsicle.cli;

import dev.portsicle.net.Cidr;
import dev.portsicle.relay.AgentTokens;
import dev.portsicle.relay.PortRange;
import dev.portsicle.relay.Relay;
import dev.portsicle.relay.RelayConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "server", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Run a relay: the public side that visitors and agents connect to (one port for both).")
final class ServerCommand implements Callable<Integer> {
    @Option(names = "--port", description = "Port for visitors and agents (default: ${DEFAULT-VALUE}).")
    int port = RelayConfig.DEFAULT_PORT;

    @Option(names = "--bind", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String bind = RelayConfig.defaults().bindHost();

    @Option(names = "--domain", paramLabel = "D",
            description = "Also serve tunnels at <id>.D (needs wildcard DNS for *.D); agents then get that URL.")
    String domain;

    @Option(names = "--public-url", paramLabel = "URL",
            description = "How visitors reach this relay, e.g. https://tunnel.example.com "
                          + "(default: the address each agent dialled).")
    String publicUrl;

    @Option(names = "--idle-timeout", paramLabel = "SECONDS",
            description = "Close visitor connections idle between requests this long (default: ${DEFAULT-VALUE}).")
    long idleSeconds = RelayConfig.defaults().idleTimeout().toSeconds();

    @Option(names = "--header-timeout", paramLabel = "SECONDS",
            description = "A visitor's request head must arrive whole within this time of connecting or of its "
                          + "first byte, against slowloris; 408 and close beyond (default: ${DEFAULT-VALUE}).")
    long headerTimeoutSeconds = RelayConfig.defaults().headerTimeout().toSeconds();

    @Option(names = "--tcp-ports", paramLabel = "FIRST-LAST",
            description = "Public ports for TCP tunnels (portsicle tcp), e.g. 20000-20999 (default: TCP tunnels off).")
    String tcpPorts;

    @Option(names = "--secret", defaultValue = "${env:PORTSICLE_SECRET}", paramLabel = "SECRET",
            description = "Signs resume tokens so agents keep their URL across relay restarts "
                          + "(default: $PORTSICLE_SECRET, else the --secret-file).")
    String secret;

    @Option(names = "--secret-file", paramLabel = "FILE",
            description = "Where the relay keeps its secret when none is given; made on first start "
                          + "(default: ~/.portsicle/relay.secret).")
    Path secretFile = RelaySecret.defaultFile();

    @Option(names = "--grace", paramLabel = "SECONDS",
            description = "On SIGTERM or Ctrl-C, how long exchanges in flight get to finish (default: ${DEFAULT-VALUE}).")
    long graceSeconds = 30;

    @Option(names = "--tokens", paramLabel = "FILE",
            description = "Agent tokens this relay accepts, one per line with optional user=, names=, tunnels= "
                          + "(default: $PORTSICLE_TOKENS holds them inline; neither: an open relay).")
    Path tokensFile;

    @Option(names = "--trusted-proxy", paramLabel = "CIDR",
            description = "A proxy in front of the relay whose X-Forwarded-For is believed (repeatable).")
    List<String> trustedProxies = new ArrayList<>();

    @Option(names = "--max-tunnels-per-agent", paramLabel = "N",
            description = "Tunnels one agent may hold at once, unless its token says (default: ${DEFAULT-VALUE}).")
    int maxTunnelsPerAgent = RelayConfig.defaults().maxTunnelsPerAgent();

    @Option(names = "--max-streams-per-tunnel", paramLabel = "N",
            description = "Exchanges one tunnel carries at once; visitors beyond get a 503 (default: ${DEFAULT-VALUE}). "
                    + "A keep-alive visitor connection keeps its stream for up to " + RelayConfig.DEFAULT_STREAM_KEEP_SECONDS
                    + " s between its requests, and gives it up to a new request at this limit.")
    int maxStreamsPerTunnel = RelayConfig.defaults().maxStreamsPerTunnel();

    @Mixin
    RelayTlsOptions tls;

    @Option(names = "--threads", description = "Event-loop threads (default: one per core, ${DEFAULT-VALUE}).")
    int threads = RelayConfig.defaults().threads();

    @Override
    public Integer call() throws Exception {
        if (headerTimeoutSeconds < 1) {
            throw new IllegalArgumentException("--header-timeout must be at least 1 second, not " + headerTimeoutSeconds);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("--threads must be at least 1, not " + threads);
        }
        if (maxStreamsPerTunnel < 1 || maxStreamsPerTunnel > RelayConfig.defaults().maxStreamsPerTunnel()) {
            throw new IllegalArgumentException("--max-streams-per-tunnel must be 1-"
                    + RelayConfig.defaults().maxStreamsPerTunnel() + ", not " + maxStreamsPerTunnel);
        }
        if (maxTunnelsPerAgent < 1) {
            throw new IllegalArgumentException("--max-tunnels-per-agent must be at least 1, not " + maxTunnelsPerAgent);
        }
        RelayConfig config = RelayConfig.defaults().withBind(bind, port).withDomain(domain).withPublicUrl(publicUrl)
                .withIdleTimeout(Duration.ofSeconds(idleSeconds)).withThreads(threads)
                .withHeaderTimeout(Duration.ofSeconds(headerTimeoutSeconds))
                .withTcpPorts(tcpPorts == null ? null : PortRange.parse(tcpPorts))
                .withSecret(RelaySecret.resolve(secret, secretFile))
                .withTokens(tokens())
                .withTrustedProxies(Cidr.parseAll(trustedProxies))
                .withMaxTunnelsPerAgent(maxTunnelsPerAgent)
                .withMaxStreamsPerTunnel(maxStreamsPerTunnel)
                .withTls(tls.tls());
        Options.checkPort(port, "--port");
        Relay relay = Relay.start(config);
        Signals.onStop(() -> {
            try {
                relay.drain(Duration.ofSeconds(graceSeconds));
            } catch (InterruptedException e) {
                relay.close();
            }
        });
        new CountDownLatch(1).await(); // until a signal stops the process
        return 0;
    }

    /** From --tokens, else $PORTSICLE_TOKENS (same format; ';' also ends an entry), else none. */
    private AgentTokens tokens() {
        if (tokensFile != null) {
            return AgentTokens.load(tokensFile);
        }
        String inline = System.getenv("PORTSICLE_TOKENS");
        if (inline != null && !inline.isBlank()) {
            return AgentTokens.parse(inline.replace(';', '\n'), "$PORTSICLE_TOKENS");
        }
        return null;
    }
}
