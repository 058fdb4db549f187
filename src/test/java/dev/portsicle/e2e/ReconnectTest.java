package dev.portsicle.e2e;

import dev.portsicle.agent.Agent;
import dev.portsicle.agent.AgentConfig;
import dev.portsicle.relay.Relay;
import dev.portsicle.relay.RelayConfig;
import dev.portsicle.testing.Origin;
import dev.portsicle.testing.RawHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The agent comes back by itself after losing the relay, and keeps its URL. */
class ReconnectTest {
    private static final String SECRET = "a-test-secret-of-some-length";
    private Origin origin;
    private Relay relay;
    private Agent agent;

    @BeforeEach
    void start() throws Exception {
        origin = Origin.start();
    }

    @AfterEach
    void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (relay != null) {
            relay.close();
        }
        origin.close();
    }

    @Test
    void aRestartedRelayWithTheSameSecretGivesTheAgentItsUrlBack() throws Exception {
        relay = Relay.start(RelayConfig.defaults().withBind("127.0.0.1", 0).withSecret(SECRET));
        int port = relay.port();
        agent = Agent.start(AgentConfig.http(URI.create("ws://127.0.0.1:" + port), "127.0.0.1", origin.port())
                .withMaxBackoff(Duration.ofSeconds(1)));
        String url = agent.publicUrl().get(10, TimeUnit.SECONDS);
        assertThat(get(url)).isEqualTo(200);

        relay.close(); // the relay goes away (a deploy, a crash) ...
        relay = Relay.start(RelayConfig.defaults().withBind("127.0.0.1", port).withSecret(SECRET)); // ... and is back

        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (relay.tunnelCount() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(relay.tunnelCount()).as("agent reconnected").isEqualTo(1);
        assertThat(get(url)).as("the same URL serves again").isEqualTo(200);
    }

    private static int get(String url) throws Exception {
        try (RawHttpClient client = RawHttpClient.to(url)) {
            client.send("GET " + URI.create(url).getPath() + " HTTP/1.1\r\nHost: h\r\n\r\n");
            return client.read().status();
        }
    }
}
