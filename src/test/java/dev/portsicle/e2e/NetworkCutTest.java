package dev.portsicle.e2e;

import dev.portsicle.agent.Agent;
import dev.portsicle.agent.AgentConfig;
import dev.portsicle.protocol.Heartbeat;
import dev.portsicle.relay.Relay;
import dev.portsicle.relay.RelayConfig;
import dev.portsicle.testing.Bodies;
import dev.portsicle.testing.Conditions;
import dev.portsicle.testing.CuttableProxy;
import dev.portsicle.testing.Origin;
import dev.portsicle.testing.RawHttpClient;
import dev.portsicle.testing.RawHttpClient.RawResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The network between agent and relay fails (a {@link CuttableProxy} plays it): the relay drops the
 * session within the heartbeat timeout, visitors are told the tunnel is reconnecting, and the agent
 * comes back with the same URL once the path is back. Heartbeats are shortened here (the defaults are
 * 10 s and 30 s) so each case takes seconds.
 */
class NetworkCutTest {
    private static final Heartbeat.Timing FAST = new Heartbeat.Timing(Duration.ofMillis(500), Duration.ofSeconds(2));
    /** What the relay and agent get beyond the heartbeat timeout to act on it (a loaded machine). */
    private static final Duration SLACK = Duration.ofSeconds(3);
    private static final Duration PROMPTLY = Duration.ofSeconds(1);

    private Origin origin;
    private Relay relay;
    private CuttableProxy network;
    private Agent agent;
    /** The public URL, reached directly at the relay (visitors do not cross the agent's network). */
    private String url;

    @BeforeEach
    void start() throws Exception {
        origin = Origin.start();
        relay = Relay.start(RelayConfig.defaults().withBind("127.0.0.1", 0).withHeartbeat(FAST));
        network = CuttableProxy.to(relay.port());
        agent = Agent.start(AgentConfig.http(URI.create("ws://127.0.0.1:" + network.port()), "127.0.0.1",
                origin.port()).withHeartbeat(FAST).withMaxBackoff(Duration.ofSeconds(1)));
        // The relay names the address the agent dialled (the proxy's); visitors use the relay's own.
        url = agent.publicUrl().get(10, TimeUnit.SECONDS)
                .replace(":" + network.port() + "/", ":" + relay.port() + "/");
        assertThat(get("/before").status()).isEqualTo(200);
    }

    @AfterEach
    void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (network != null) {
            network.close();
        }
        if (relay != null) {
            relay.close();
        }
        if (origin != null) {
            origin.close();
        }
    }

    @Test
    void aSilentCutIsNoticedByBothEndsAndTheAgentComesBackWithTheSameUrl() throws Exception {
        network.blackHole();
        Duration dropped = Conditions.await("the relay drops the silent session", FAST.timeout().plus(SLACK),
                () -> relay.tunnelCount() == 0);
        assertThat(dropped).as("dropped by the heartbeat, not by a close").isGreaterThan(FAST.interval());
        Conditions.await("the agent notices and dials again", FAST.timeout().plus(SLACK),
                () -> network.connectionsAccepted() > 1);

        assertReconnecting();

        network.restore();
        Conditions.await("the same URL serves again", Duration.ofSeconds(15), () -> get("/after").status() == 200);
        assertThat(origin.requests()).extracting(Origin.Request::target).containsExactly("/before", "/after");
    }

    @Test
    void aHardCutIsNoticedAtOnceAndTheAgentComesBackWithTheSameUrl() throws Exception {
        network.hardCut();
        Conditions.await("the relay drops the closed session", PROMPTLY.plus(SLACK), () -> relay.tunnelCount() == 0);
        Conditions.await("the agent keeps dialling", Duration.ofSeconds(10), () -> network.connectionsAccepted() > 2);

        assertReconnecting();

        network.restore();
        Conditions.await("the same URL serves again", Duration.ofSeconds(15), () -> get("/after").status() == 200);
        assertThat(origin.requests()).extracting(Origin.Request::target).containsExactly("/before", "/after");
    }

    @Test
    void aBlipShorterThanTheTimeoutLeavesTheSessionAlone() throws Exception {
        network.blackHole();
        Thread.sleep(FAST.timeout().toMillis() / 2); // the length of the blip is the point of this test
        network.restore();
        assertThat(get("/after").status()).isEqualTo(200);
        assertThat(network.connectionsAccepted()).as("no reconnect").isEqualTo(1);
        assertThat(relay.tunnelCount()).isEqualTo(1);
    }

    @Test
    void aBusySessionIsNotMistakenForASilentOne() throws Exception {
        // A download in which only the agent sends (DATA) and the relay only acknowledges (WINDOW_UPDATE),
        // for three heartbeat timeouts: neither end may take the other for frozen.
        long rate = 256 * 1024;
        long length = rate * 3 * FAST.timeout().toSeconds();
        origin.handle((request, response) -> response.status(200)
                .body(Bodies.throttled(Bodies.pattern(length, 7), rate), length));
        try (RawHttpClient client = RawHttpClient.to(url)) {
            client.send("GET " + URI.create(url).getPath() + "slow HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttpClient.Digest digest = client.readDigest(0);
            assertThat(digest.length()).isEqualTo(length);
        }
        assertThat(network.connectionsAccepted()).as("no reconnect").isEqualTo(1);
        assertThat(get("/after").status()).isEqualTo(200);
    }

    @Test
    void anAgentThatLeftIsReconnectingWhileANeverKnownIdStaysUnknown() throws Exception {
        agent.close();
        Conditions.await("the relay drops the session", Duration.ofSeconds(5), () -> relay.tunnelCount() == 0);
        assertReconnecting();
        try (RawHttpClient client = RawHttpClient.to(url)) {
            client.send("GET /abcdefghijklm/ HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(404);
        }
    }

    /** Visitors of the tunnel hear at once that it is reconnecting, never a hang and never a 404. */
    private void assertReconnecting() throws Exception {
        long start = System.nanoTime();
        RawResponse away = get("/during");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(PROMPTLY);
        assertThat(away.status()).isEqualTo(503);
        assertThat(away.header("X-Portsicle-Error")).isEqualTo("503");
        assertThat(away.header("Retry-After")).isEqualTo("5");
        assertThat(away.bodyText()).contains("Tunnel reconnecting");
    }

    private RawResponse get(String path) throws Exception {
        try (RawHttpClient client = RawHttpClient.to(url)) {
            client.timeoutMillis(5_000);
            client.send("GET " + URI.create(url).getPath() + path.substring(1) + " HTTP/1.1\r\nHost: h\r\n\r\n");
            return client.read();
        }
    }
}
