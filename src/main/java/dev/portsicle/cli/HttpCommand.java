package dev.portsicle.cli;

import dev.portsicle.agent.Agent;
import dev.portsicle.agent.AgentConfig;
import dev.portsicle.relay.Relay;
import dev.portsicle.relay.RelayConfig;
import dev.portsicle.relay.AgentTokens;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.util.Collections;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "http", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = {"Expose a local HTTP server at a public URL.",
                       "With no --server (and no PORTSICLE_SERVER), a relay starts inside this process on port "
                       + "8080 or the next free one, reachable from your local network."})
final class HttpCommand implements Callable<Integer> {
    private static final int EMBEDDED_PORT_TRIES = 20;

    @Option(names = {"-p", "--port"}, required = true, description = "Port of the local server.")
    int port;

    @Option(names = "--local-host", description = "Host of the local server (default: ${DEFAULT-VALUE}).")
    String localHost = "127.0.0.1";

    @Option(names = "--server", paramLabel = "URL", defaultValue = "${env:PORTSICLE_SERVER}",
            description = "The relay: http(s):// or ws(s):// URL (default: $PORTSICLE_SERVER, else an embedded relay).")
    String server;

    @Option(names = "--host-header", paramLabel = "rewrite|preserve",
            description = "Host header the local server sees: its own address (rewrite, default; dev servers "
                          + "check it) or the public one (preserve). The public one is always in X-Forwarded-Host.")
    String hostHeader = "rewrite";

    @Option(names = "--subdomain", paramLabel = "NAME",
            description = "A stable name instead of a random id: https://NAME.<relay domain>/ (the relay needs "
                          + "--domain, and its token must allow the name).")
    String subdomain;

    @Option(names = "--basic-auth", paramLabel = "USER:PASSWORD",
            description = "Visitors must log in with this user and password (checked by the relay; "
                          + "your server never sees it).")
    String basicAuth;

    @Mixin
    AgentOptions agentOptions = new AgentOptions();

    @Mixin
    RelayTrustOptions trust;

    @Override
    public Integer call() throws Exception {
        Options.checkPort(port, "--port");
        AgentConfig.HostHeader host = AgentConfig.HostHeader.parse(hostHeader);
        Relay embedded = null;
        URI relayUri;
        String embeddedToken = null;
        if (server == null || server.isBlank()) {
            embeddedToken = RelaySecret.newToken();
            embedded = startEmbeddedRelay(embeddedToken);
            relayUri = URI.create("ws://127.0.0.1:" + embedded.port());
        } else {
            relayUri = URI.create(server.trim());
        }
        AgentConfig config = agentOptions.applyTo(AgentConfig.http(relayUri, localHost, port), basicAuth)
                .withHostHeader(host).withName(subdomain == null ? null : subdomain.toLowerCase(Locale.ROOT))
                .withTrust(trust.trust());
        if (embedded != null) {
            config = config.withToken(embeddedToken);
        }
        config.tunnelUri(); // rejects a malformed relay URL before anything starts
        Agent agent = Agent.start(config);
        Relay relay = embedded;
        Signals.onStop(() -> {
            try {
                agent.drain(Options.GRACE);
            } catch (InterruptedException e) {
                agent.close();
            }
            if (relay != null) {
                relay.close();
            }
        });
        return Options.printAndRun(agent, "Your public url: ");
    }

    /**
     * The embedded default: port 8080 or the next free one, on every interface, URL with the LAN address.
     * Its only token is {@code token}, so no one else on the network can open tunnels through it.
     */
    private static Relay startEmbeddedRelay(String token) throws InterruptedException {
        String host = lanAddress();
        Exception last = null;
        for (int port = RelayConfig.DEFAULT_PORT; port < RelayConfig.DEFAULT_PORT + EMBEDDED_PORT_TRIES; port++) {
            String base = "http://" + host + ":" + port;
            try {
                Relay relay = Relay.start(RelayConfig.defaults().withBind("0.0.0.0", port).withPublicUrl(base)
                        // One tunnel: its visitors and its session on one event loop, so no hand-offs
                        // between threads (p50 at one connection 0.30 ms against 0.45 ms with two loops).
                        .withThreads(1)
                        .withTokens(AgentTokens.parse(token, "the embedded relay's token")));
                System.err.println("portsicle: no --server given, so a relay runs inside this process at " + base
                                   + (host.equals("localhost") ? "" : " (also http://localhost:" + port + ")"));
                return relay;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                last = e; // port taken: try the next one
            }
        }
        throw new IllegalStateException("cannot start the embedded relay on ports " + RelayConfig.DEFAULT_PORT + "-"
                + (RelayConfig.DEFAULT_PORT + EMBEDDED_PORT_TRIES - 1) + ": " + last.getMessage());
    }

    /** This machine's address on the local network, for a URL others there can open. */
    private static String lanAddress() {
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nic.isUp() || nic.isLoopback() || nic.isVirtual()) {
                    continue;
                }
                for (InetAddress address : Collections.list(nic.getInetAddresses())) {
                    if (address instanceof Inet4Address && address.isSiteLocalAddress()) {
                        return address.getHostAddress();
                    }
                }
            }
        } catch (SocketException e) {
            // fall through: localhost still works on this machine
        }
        return "localhost";
    }
}
