package dev.portsicle.e2e;

import dev.portsicle.testing.Bodies;
import dev.portsicle.testing.Origin;
import dev.portsicle.testing.PortsicleProcess;
import dev.portsicle.testing.RawHttpClient;
import dev.portsicle.testing.TunnelFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Time limits: the relay's defaults put no cut-off on a request the local server takes five minutes to
 * answer; a short visitor idle timeout closes a keep-alive connection that sits idle, but never a
 * request still in flight, however long it is silent (waiting on the local server, between chunks of
 * the response, or in the middle of the visitor's upload).
 *
 * <p>{@code @Execution(CONCURRENT)} (see junit-platform.properties): this class runs beside the other
 * integration tests, so its five real minutes do not add to the build's time.
 */
@Execution(ExecutionMode.CONCURRENT)
class LongRequestIT {
    private static final Duration FIVE_MINUTES = Duration.ofMinutes(5);
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(2);
    /** Silences three times the idle timeout. */
    private static final Duration SILENCE = IDLE_TIMEOUT.multipliedBy(3);

    private Origin origin;
    private TunnelFixture tunnel;
    private PortsicleProcess relay;
    private PortsicleProcess agent;

    @BeforeEach
    void startOrigin() throws Exception {
        origin = Origin.start();
        origin.handle((request, response) -> {
            switch (request.target()) {
                case "/five-minutes" -> response.delay(FIVE_MINUTES).status(200).body("answered after five minutes");
                case "/silent" -> response.delay(SILENCE).status(200).body("answered after " + SILENCE.toSeconds() + " s");
                case "/gaps" -> {
                    Origin.Chunked chunked = response.status(200).chunked();
                    chunked.write("part 0\n");
                    for (int i = 1; i < 3; i++) {
                        Thread.sleep(SILENCE.toMillis()); // a scripted silence between chunks
                        chunked.write("part " + i + "\n");
                    }
                    chunked.end();
                }
                case "/upload" -> response.status(200).body(request.bodyLength() + " " + request.bodySha256());
                default -> response.status(200).body("quick " + request.target());
            }
        });
    }

    @AfterEach
    void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (relay != null) {
            relay.close();
        }
        if (tunnel != null) {
            tunnel.close();
        }
        origin.close();
    }

    /** Real processes with the relay's and agent's default settings (a small heap only, to spare the machine). */
    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void aRequestTheLocalServerAnswersAfterFiveMinutesOfSilenceCompletes() throws Exception {
        Path logs = Files.createDirectories(Path.of("target", "it-logs"));
        List<String> jvm = List.of("-Xmx128m", "-XX:MaxDirectMemorySize=128m");
        int port = PortsicleProcess.freePort();
        relay = PortsicleProcess.startJar(logs.resolve("LongRequestIT-relay.log"), jvm,
                "server", "--port", Integer.toString(port), "--bind", "127.0.0.1");
        PortsicleProcess.awaitListening(port, Duration.ofSeconds(30));
        agent = PortsicleProcess.startJar(logs.resolve("LongRequestIT-agent.log"), jvm,
                "http", "-p", Integer.toString(origin.port()), "--server", "http://127.0.0.1:" + port);
        String url = agent.awaitPublicUrl(Duration.ofSeconds(30));

        try (RawHttpClient client = RawHttpClient.to(url).timeoutMillis((int) FIVE_MINUTES.plusMinutes(2).toMillis())) {
            long start = System.nanoTime();
            client.send("GET " + URI.create(url).getPath() + "five-minutes HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttpClient.RawResponse response = client.read();
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            System.out.printf("five-minute request: %d %s after %d s%n", response.status(), response.bodyText(),
                    took.toSeconds());
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo("answered after five minutes");
            assertThat(took).isGreaterThanOrEqualTo(FIVE_MINUTES);
        }
        assertThat(origin.requests()).hasSize(1); // answered once, not retried
        assertThat(relay.isAlive()).isTrue();
        assertThat(agent.isAlive()).isTrue();
    }

    @Test
    void anIdleKeepAliveVisitorConnectionIsClosedByTheRelayAfterItsIdleTimeout() throws Exception {
        startTunnelWithShortIdleTimeout();
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("GET /" + tunnel.tunnelId() + "/hello HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttpClient.RawResponse response = client.read();
            long answered = System.nanoTime();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.headers("Connection")).noneMatch(value -> value.equalsIgnoreCase("close"));

            client.timeoutMillis(1000);
            assertThat(client.closedByPeer()).as("closed within a second of the response").isFalse();
            client.timeoutMillis(10_000);
            assertThat(client.closedByPeer()).as("closed within 10 s of the response").isTrue();
            Duration idle = Duration.ofNanos(System.nanoTime() - answered);
            System.out.printf("idle keep-alive connection closed by the relay after %d ms (idle timeout %d ms)%n",
                    idle.toMillis(), IDLE_TIMEOUT.toMillis());
            assertThat(idle).isGreaterThanOrEqualTo(IDLE_TIMEOUT.minusMillis(100)).isLessThan(IDLE_TIMEOUT.plusSeconds(3));
        }
    }

    @Test
    void aRequestWaitingOnTheLocalServerLongerThanTheIdleTimeoutIsNotCutOff() throws Exception {
        startTunnelWithShortIdleTimeout();
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            long start = System.nanoTime();
            client.send("GET /" + tunnel.tunnelId() + "/silent HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttpClient.RawResponse response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo("answered after " + SILENCE.toSeconds() + " s");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(SILENCE);
            // and the connection is still good for another request
            client.send("GET /" + tunnel.tunnelId() + "/after HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThat(client.read().bodyText()).isEqualTo("quick /after");
        }
    }

    @Test
    void aResponseSilentBetweenChunksLongerThanTheIdleTimeoutIsNotCutOff() throws Exception {
        startTunnelWithShortIdleTimeout();
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("GET /" + tunnel.tunnelId() + "/gaps HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttpClient.RawResponse response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo("part 0\npart 1\npart 2\n");
        }
    }

    @Test
    void anUploadPausedLongerThanTheIdleTimeoutIsNotCutOff() throws Exception {
        startTunnelWithShortIdleTimeout();
        int half = 256 * 1024;
        byte[] body = Bodies.patternBytes(2 * half, 9);
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("POST /" + tunnel.tunnelId() + "/upload HTTP/1.1\r\nHost: h\r\n"
                        + "Content-Length: " + body.length + "\r\n\r\n");
            OutputStream out = client.output();
            out.write(body, 0, half);
            out.flush();
            Thread.sleep(SILENCE.toMillis()); // the visitor pauses mid-upload: scripted, not a wait
            out.write(body, half, half);
            out.flush();
            RawHttpClient.RawResponse response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo(body.length + " " + Bodies.sha256(body));
        }
    }

    private void startTunnelWithShortIdleTimeout() throws Exception {
        tunnel = TunnelFixture.start(origin.port(), config -> config.withIdleTimeout(IDLE_TIMEOUT),
                config -> config);
    }
}
