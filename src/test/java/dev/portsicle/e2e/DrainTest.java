package dev.portsicle.e2e;

import dev.portsicle.testing.Origin;
import dev.portsicle.testing.RawHttpClient;
import dev.portsicle.testing.Streams;
import dev.portsicle.testing.TunnelFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** A relay or agent asked to stop lets what is in flight finish first (the SIGTERM path). */
class DrainTest {
    private Origin origin;
    private TunnelFixture tunnel;
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        tunnel.close();
        origin.close();
    }

    @Test
    void aDrainingRelayFinishesAnEventStreamButTakesNoNewConnections() throws Exception {
        origin = Origin.start();
        origin.handle((request, response) -> {
            Origin.Chunked events = response.status(200).header("Content-Type", "text/event-stream").chunked();
            events.write("data: one\n\n");
            release.await(10, TimeUnit.SECONDS);
            events.write("data: two\n\n");
            events.end();
        });
        tunnel = TunnelFixture.start(origin.port());
        URI url = URI.create(tunnel.url);
        try (Socket socket = new Socket(url.getHost(), url.getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET " + url.getPath() + "events HTTP/1.1\r\nHost: h\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = socket.getInputStream();
            Streams.readUntil(in, "data: one");
            CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(() -> {
                try {
                    return tunnel.relay.drain(Duration.ofSeconds(10));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            Throwable refused = null;
            while (refused == null && System.nanoTime() < deadline) {
                refused = catchThrowable(() -> new Socket(url.getHost(), url.getPort()).close());
            }
            assertThat(refused).as("new connections refused while draining").isInstanceOf(IOException.class);
            assertThat(drained).isNotDone();
            release.countDown();
            assertThat(Streams.readUntil(in, "0\r\n\r\n")).contains("data: two");
            assertThat(drained.get(10, TimeUnit.SECONDS)).as("everything in flight finished").isTrue();
        }
    }

    @Test
    void aDrainingAgentFinishesItsRequestsThenLeaves() throws Exception {
        origin = Origin.start();
        origin.handle((request, response) -> {
            release.await(10, TimeUnit.SECONDS);
            response.status(200).body("finished");
        });
        tunnel = TunnelFixture.start(origin.port());
        CompletableFuture<String> inFlight = CompletableFuture.supplyAsync(() -> {
            try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
                client.send("GET /" + tunnel.tunnelId() + "/slow HTTP/1.1\r\nHost: h\r\n\r\n");
                return client.read().bodyText();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        origin.awaitRequests(1, Duration.ofSeconds(5));
        CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(() -> {
            try {
                return tunnel.agent.drain(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(300);
        assertThat(drained).isNotDone();
        release.countDown();
        assertThat(inFlight.get(10, TimeUnit.SECONDS)).isEqualTo("finished");
        assertThat(drained.get(10, TimeUnit.SECONDS)).isTrue();
    }
}
