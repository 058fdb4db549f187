package dev.portsicle.cli;

import dev.portsicle.agent.Agent;
import dev.portsicle.agent.AgentConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.net.URI;
import java.util.concurrent.Callable;

@Command(name = "tcp", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"Expose a local TCP service (a database, SSH, a game server) at a public host and port.",
                       "The relay must have TCP tunnels on (portsicle server --tcp-ports FIRST-LAST)."})
final class TcpCommand implements Callable<Integer> {
    @Parameters(paramLabel = "PORT", description = "Port of the local service.")
    int port;

    @Option(names = "--local-host", description = "Host of the local service (default: ${DEFAULT-VALUE}).")
    String localHost = "127.0.0.1";

    @Option(names = "--server", paramLabel = "URL", defaultValue = "${env:PORTSICLE_SERVER}", required = true,
            description = "The relay: http(s):// or ws(s):// URL (default: $PORTSICLE_SERVER).")
    String server;

    @Mixin
    AgentOptions agentOptions = new AgentOptions();

    @Mixin
    RelayTrustOptions trust;

    @Override
    public Integer call() throws Exception {
        Options.checkPort(port, "PORT");
        AgentConfig config = agentOptions.applyTo(AgentConfig.tcp(URI.create(server.trim()), localHost, port), null)
                .withTrust(trust.trust());
        config.tunnelUri(); // rejects a malformed relay URL before anything starts
        Agent agent = Agent.start(config);
        Signals.onStop(() -> {
            try {
                agent.drain(Options.GRACE);
            } catch (InterruptedException e) {
                agent.close();
            }
        });
        return Options.printAndRun(agent, "Your public address: ");
    }
}
