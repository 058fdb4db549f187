package dev.portsicle.it;

import dev.portsicle.testing.Bodies;
import dev.portsicle.testing.Origin;
import dev.portsicle.testing.PortsicleProcess;
import dev.portsicle.testing.RawHttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real relay and agent processes (started by the ./portsicle launcher with its default JVM flags)
 * carrying 1 GiB bodies both ways, fast and slow, with their memory watched; and a request that takes
 * five minutes, started first and checked last, to show there is no default cut-off.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StreamingIT {
    private static final long GIB = 1024L * 1024 * 1024;
    private static final long MEMORY_BOUND = 256L * 1024 * 1024;
    private static final Duration LONG_REQUEST = Duration.ofMinutes(5);

    private static Origin origin;
    private static PortsicleProcess relay;
    private static PortsicleProcess agent;
    private static String url;
    private static CompletableFuture<HttpResponse<String>> longRequest;

    @BeforeAll
    static void start() throws Exception {
        origin = Origin.start();
        origin.handle((request, response) -> {
            switch (request.target()) {
                case "/download" -> response.status(200).patternBody(GIB, 42);
                case "/upload" -> response.status(200).body(request.bodyLength() + " " + request.bodySha256());
                case "/long" -> {
                    Thread.sleep(LONG_REQUEST.toMillis());
                    response.status(200).body("finally");
                }
                default -> response.status(404).body("no");
            }
        });
        Path logs = Files.createDirectories(Path.of("target", "it-logs"));
        int port = PortsicleProcess.freePort();
        relay = PortsicleProcess.start(logs.resolve("relay.log"), "server", "--bind", "127.0.0.1", "--port",
                Integer.toString(port));
        PortsicleProcess.awaitListening(port, Duration.ofSeconds(60));
        agent = PortsicleProcess.start(logs.resolve("agent.log"), "http", "-p", Integer.toString(origin.port()),
                "--server", "http://127.0.0.1:" + port);
        url = agent.awaitPublicUrl(Duration.ofSeconds(60));
        longRequest = HttpClient.newHttpClient().sendAsync(
                HttpRequest.newBuilder(URI.create(url + "long")).timeout(LONG_REQUEST.plusMinutes(2)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @AfterAll
    static void stop() throws Exception {
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
    @Order(1)
    @Timeout(120)
    void oneGibDownloadStreamsThroughInBoundedMemory() throws Exception {
        RawHttpClient.Digest digest = watchingMemory("1 GiB download", () -> download(0));
        assertThat(digest.length()).isEqualTo(GIB);
        assertThat(digest.sha256()).isEqualTo(Bodies.patternSha256(GIB, 42));
    }

    @Test
    @Order(2)
    @Timeout(120)
    void oneGibUploadStreamsThroughInBoundedMemory() throws Exception {
        String answer = watchingMemory("1 GiB upload", () -> {
            try (RawHttpClient client = RawHttpClient.to(url); InputStream body = Bodies.pattern(GIB, 43)) {
                client.timeoutMillis(60_000);
                client.send("POST " + URI.create(url).getPath() + "upload HTTP/1.1\r\nHost: h\r\n"
                            + "Content-Length: " + GIB + "\r\n\r\n");
                OutputStream out = client.output();
                body.transferTo(out);
                out.flush();
                return client.read().bodyText();
            }
        });
        assertThat(answer).isEqualTo(GIB + " " + Bodies.patternSha256(GIB, 43));
    }

    @Test
    @Order(3)
    @Timeout(120)
    void aSlowVisitorKeepsMemoryBoundedToo() throws Exception {
        RawHttpClient.Digest digest = watchingMemory("1 GiB download read at 64 MiB/s",
                () -> download(64L * 1024 * 1024));
        assertThat(digest.sha256()).isEqualTo(Bodies.patternSha256(GIB, 42));
    }

    @Test
    @Order(4)
    @Timeout(420)
    void aFiveMinuteRequestCompletes() throws Exception {
        HttpResponse<String> response = longRequest.get(LONG_REQUEST.plusMinutes(2).toSeconds(), TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("finally");
    }

    private static RawHttpClient.Digest download(long bytesPerSecond) throws IOException {
        try (RawHttpClient client = RawHttpClient.to(url)) {
            client.timeoutMillis(60_000);
            client.send("GET " + URI.create(url).getPath() + "download HTTP/1.1\r\nHost: h\r\n\r\n");
            return client.readDigest(bytesPerSecond);
        }
    }

    /** Runs {@code work} while sampling both processes' RSS; fails if either passes the bound. */
    private static <T> T watchingMemory(String what, Callable<T> work) throws Exception {
        AtomicLong relayPeak = new AtomicLong();
        AtomicLong agentPeak = new AtomicLong();
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    relayPeak.accumulateAndGet(relay.rssBytes(), Math::max);
                    agentPeak.accumulateAndGet(agent.rssBytes(), Math::max);
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                } catch (IOException e) {
                    return; // a process ended: the assertions below say so
                }
            }
        }, "rss-sampler");
        sampler.start();
        long start = System.nanoTime();
        T result;
        try {
            result = work.call();
        } finally {
            sampler.interrupt();
            sampler.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("%s: %.1f s, %.0f MB/s; peak RSS relay %d MiB, agent %d MiB%n", what, seconds,
                GIB / 1e6 / seconds, relayPeak.get() >> 20, agentPeak.get() >> 20);
        assertThat(relay.isAlive()).isTrue();
        assertThat(agent.isAlive()).isTrue();
        assertThat(relayPeak.get()).as("relay RSS during " + what).isLessThan(MEMORY_BOUND);
        assertThat(agentPeak.get()).as("agent RSS during " + what).isLessThan(MEMORY_BOUND);
        return result;
    }
}
