package dev.portsicle.testing;

import dev.portsicle.agent.Agent;
import dev.portsicle.agent.AgentConfig;
import dev.portsicle.relay.Relay;
import dev.portsicle.relay.RelayConfig;

import java.net.URI;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * A real relay and a real agent in this JVM, on loopback ports the OS picks, forwarding to a local
 * server at {@code localPort}. Close it in {@code @AfterEach}.
 */
public final class TunnelFixture implements AutoCloseable {
    public final Relay relay;
    public final Agent agent;
    /** The public URL the agent printed, e.g. {@code http://127.0.0.1:41234/abcdefghijklm/}. */
    public final String url;

    private TunnelFixture(Relay relay, Agent agent, String url) {
        this.relay = relay;
        this.agent = agent;
        this.url = url;
    }

    public static TunnelFixture start(int localPort) throws Exception {
        return start(localPort, UnaryOperator.identity(), UnaryOperator.identity());
    }

    public static TunnelFixture start(int localPort, UnaryOperator<RelayConfig> relayConfig,
                                      UnaryOperator<AgentConfig> agentConfig) throws Exception {
        Relay relay = Relay.start(relayConfig.apply(RelayConfig.defaults().withBind("127.0.0.1", 0)));
        Agent agent = null;
        try {
            agent = startAgent(relay, localPort, agentConfig);
            return new TunnelFixture(relay, agent, agent.publicUrl().get(10, TimeUnit.SECONDS));
        } catch (Exception e) {
            if (agent != null) {
                agent.close();
            }
            relay.close();
            throw e;
        }
    }

    /** A relay with TCP tunnels on {@code ports}, and a tcp agent for the local service at {@code localPort}. */
    public static TunnelFixture startTcp(int localPort, dev.portsicle.relay.PortRange ports) throws Exception {
        Relay relay = Relay.start(RelayConfig.defaults().withBind("127.0.0.1", 0).withTcpPorts(ports));
        URI server = URI.create("ws://127.0.0.1:" + relay.port());
        Agent agent = Agent.start(AgentConfig.tcp(server, "127.0.0.1", localPort));
        try {
            return new TunnelFixture(relay, agent, agent.publicUrl().get(10, TimeUnit.SECONDS));
        } catch (Exception e) {
            agent.close();
            relay.close();
            throw e;
        }
    }

    /** Another agent on the same relay (several tunnels, or a second agent racing for a name). */
    public static Agent startAgent(Relay relay, int localPort, UnaryOperator<AgentConfig> agentConfig)
            throws Exception {
        URI server = URI.create("ws://127.0.0.1:" + relay.port());
        return Agent.start(agentConfig.apply(AgentConfig.http(server, "127.0.0.1", localPort)));
    }

    /** The relay's own address, for requests that do not go through the tunnel's path. */
    public String relayBase() {
        return "http://127.0.0.1:" + relay.port();
    }

    /** The tunnel id: the path segment (or host label) that names it. */
    public String tunnelId() {
        String path = URI.create(url).getPath();
        return path.substring(1, path.length() - 1);
    }

    @Override
    public void close() {
        agent.close();
        relay.close();
    }
}
