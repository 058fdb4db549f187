package dev.portsicle.it;

import dev.portsicle.testing.Conditions;
import dev.portsicle.testing.Origin;
import dev.portsicle.testing.PortsicleProcess;
import dev.portsicle.testing.RawHttpClient;
import dev.portsicle.testing.RawHttpClient.RawResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real relay and agent processes (./portsicle, default settings) surviving what happens to processes:
 * the relay killed with -9 and started again, and either side frozen with SIGSTOP (marked gone within
 * the 30 s heartbeat timeout) and thawed with SIGCONT. The agent always ends up with the same URL.
 */
@Timeout(180)
class ResilienceIT {
    private static final String SECRET = "resilience-it-secret-of-some-length";
    /** The default heartbeat timeout (Heartbeat.TIMEOUT), plus what a loaded machine needs to act on it. */
    private static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration SLACK = Duration.ofSeconds(5);
    private static final Duration PROMPTLY = Duration.ofSeconds(2);

    private final Path logs = Path.of("target", "it-logs");
    private String name;
    private Origin origin;
    private int port;
    private PortsicleProcess relay;
    private PortsicleProcess agent;
    private String url;

    @BeforeEach
    void start(TestInfo test) throws Exception {
        name = test.getTestMethod().orElseThrow().getName();
        Files.createDirectories(logs);
        origin = Origin.start();
        port = PortsicleProcess.freePort();
        relay = startRelay(relayLog(1));
        agent = PortsicleProcess.start(agentLog(), "http", "-p", Integer.toString(origin.port()),
                "--server", "http://127.0.0.1:" + port);
        url = agent.awaitPublicUrl(Duration.ofSeconds(60));
        assertThat(get().status()).isEqualTo(200);
    }

    @AfterEach
    void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (relay != null) {
            relay.close();
        }
        if (origin != null) {
            origin.close();
        }
    }

    @Test
    void aRelayKilledAndRestartedGivesTheAgentItsUrlBackWithinSeconds() throws Exception {
        relay.kill();
        assertThat(get(PROMPTLY).status()).isEqualTo(-1); // nobody there

        relay = startRelay(relayLog(2));
        Duration back = Conditions.await("the same URL serves again", Duration.ofSeconds(30), () -> get().status() == 200);
        assertThat(back).as("after the relay returned").isLessThan(Duration.ofSeconds(10));
        Conditions.awaitLog(agentLog(), "tunnel back online: " + url);
    }

    @Test
    void aFrozenAgentIsMarkedOfflineAndComesBackWhenThawed() throws Exception {
        agent.signal("STOP");
        Conditions.await("the relay marks the tunnel offline", HEARTBEAT_TIMEOUT.plus(SLACK),
                () -> Files.readString(relayLog(1)).contains("tunnel " + tunnelId() + " offline"));
        Conditions.awaitLog(relayLog(1), "silent for 30 s: disconnecting it");

        long start = System.nanoTime();
        RawResponse away = get();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("an answer, not a hang").isLessThan(PROMPTLY);
        assertThat(away.status()).isEqualTo(503);
        assertThat(away.bodyText()).contains("Tunnel reconnecting");

        agent.signal("CONT");
        Conditions.await("the same URL serves again", Duration.ofSeconds(30), () -> get().status() == 200);
        Conditions.awaitLog(agentLog(), "tunnel back online: " + url);
    }

    @Test
    void aFrozenRelayIsNoticedByTheAgentWhichComesBackWhenTheRelayIsThawed() throws Exception {
        relay.signal("STOP");
        Conditions.await("the agent notices", HEARTBEAT_TIMEOUT.plus(SLACK),
                () -> Files.readString(agentLog()).contains("the relay has been silent for 30 s"));
        Conditions.await("the agent keeps trying", Duration.ofSeconds(10),
                () -> Files.readString(agentLog()).contains("reconnecting to the relay in"));

        relay.signal("CONT");
        Conditions.await("the same URL serves again", Duration.ofSeconds(40), () -> get().status() == 200);
        Conditions.awaitLog(agentLog(), "tunnel back online: " + url);
    }

    private PortsicleProcess startRelay(Path log) throws Exception {
        PortsicleProcess process = PortsicleProcess.start(log, "server", "--bind", "127.0.0.1",
                "--port", Integer.toString(port), "--secret", SECRET);
        PortsicleProcess.awaitListening(port, Duration.ofSeconds(60));
        return process;
    }

    private Path relayLog(int run) {
        return logs.resolve("resilience-" + name + "-relay-" + run + ".log");
    }

    private Path agentLog() {
        return logs.resolve("resilience-" + name + "-agent.log");
    }

    private String tunnelId() {
        String path = URI.create(url).getPath();
        return path.substring(1, path.length() - 1);
    }

    private RawResponse get() throws IOException {
        try (RawHttpClient client = RawHttpClient.to(url)) {
            client.timeoutMillis(5_000);
            client.send("GET " + URI.create(url).getPath() + " HTTP/1.1\r\nHost: h\r\n\r\n");
            return client.read();
        }
    }

    /** The status, or -1 when nothing answers within {@code timeout}. */
    private RawResponse get(Duration timeout) {
        try (RawHttpClient client = RawHttpClient.to(url)) {
            client.timeoutMillis((int) timeout.toMillis());
            client.send("GET " + URI.create(url).getPath() + " HTTP/1.1\r\nHost: h\r\n\r\n");
            return client.read();
        } catch (IOException e) {
            return new RawResponse(-1, e.toString(), java.util.List.of(), new byte[0], "", java.util.List.of());
        }
    }
}
