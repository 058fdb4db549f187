package dev.portsicle.cli;

import dev.portsicle.relay.PortRange;
import dev.portsicle.relay.Relay;
import dev.portsicle.relay.RelayConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
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

    @Mixin
    RelayTlsOptions tls;

    @Option(names = "--threads", description = "Event-loop threads (default: one per core, ${DEFAULT-VALUE}).")
    int threads = RelayConfig.defaults().threads();

    @Override
    public Integer call() throws Exception {
        if (threads < 1) {
            throw new IllegalArgumentException("--threads must be at least 1, not " + threads);
        }
        RelayConfig config = RelayConfig.defaults().withBind(bind, port).withDomain(domain).withPublicUrl(publicUrl)
                .withIdleTimeout(Duration.ofSeconds(idleSeconds)).withThreads(threads)
                .withTcpPorts(tcpPorts == null ? null : PortRange.parse(tcpPorts))
                .withSecret(RelaySecret.resolve(secret, secretFile))
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
}
