package dev.portsicle.e2e;

import dev.portsicle.testing.Bodies;
import dev.portsicle.testing.BodyStream;
import dev.portsicle.testing.Origin;
import dev.portsicle.testing.PortsicleProcess;
import dev.portsicle.testing.RawHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 1 GiB bodies through a real relay process and a real agent process, each on a 128 MiB heap and
 * 128 MiB of direct memory: a download, an upload, and a download whose visitor starts slow. Bodies
 * are checked by SHA-256 end to end, and the resident memory of both processes (VmRSS sampled all along,
 * VmHWM at the end) must stay under 256 MiB: bodies stream, they are never held.
 */
class StreamingIT {
    private static final long GIB = 1024L * 1024 * 1024;
    private static final long MEMORY_BOUND = 256L * 1024 * 1024;
    private static final List<String> JVM = List.of("-Xmx128m", "-XX:MaxDirectMemorySize=128m");
    private static final long DOWNLOAD_SEED = 42;
    private static final long UPLOAD_SEED = 43;
    /** The slow visitor reads at this pace for {@link #SLOW_PHASE}, then as fast as it can. */
    private static final long SLOW_BYTES_PER_SECOND = 20L * 1024 * 1024;
    private static final Duration SLOW_PHASE = Duration.ofSeconds(8);

    /** The download's digest, computed once (generating 1 GiB takes a few seconds). */
    private static String downloadSha256;

    private Origin origin;
    private PortsicleProcess relay;
    private PortsicleProcess agent;
    private Path relayLog;
    private Path agentLog;
    private String url;

    @BeforeEach
    void start(TestInfo test) throws Exception {
        origin = Origin.start();
        origin.handle((request, response) -> {
            switch (request.target()) {
                case "/download" -> response.status(200).patternBody(GIB, DOWNLOAD_SEED);
                // the origin has read and digested the whole body before this runs, holding 64 KiB at a time
                case "/upload" -> response.status(200).body(request.bodyLength() + " " + request.bodySha256());
                default -> response.status(404).body("no such thing here");
            }
        });
        Path logs = Files.createDirectories(Path.of("target", "it-logs"));
        String name = "StreamingIT-" + test.getTestMethod().orElseThrow().getName();
        relayLog = logs.resolve(name + "-relay.log");
        agentLog = logs.resolve(name + "-agent.log");
        int port = PortsicleProcess.freePort();
        relay = PortsicleProcess.startJar(relayLog, JVM, "server", "--port", Integer.toString(port), "--bind", "127.0.0.1");
        PortsicleProcess.awaitListening(port, Duration.ofSeconds(30));
        agent = PortsicleProcess.startJar(agentLog, JVM, "http", "-p", Integer.toString(origin.port()),
                "--server", "http://127.0.0.1:" + port);
        url = agent.awaitPublicUrl(Duration.ofSeconds(30));
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
    @Timeout(120)
    void oneGibDownloadStreamsThroughInBoundedMemory() throws Exception {
        String expected = downloadSha256();
        RawHttpClient.Digest digest = watchingMemory("1 GiB download", () -> {
            try (RawHttpClient client = RawHttpClient.to(url).timeoutMillis(60_000)) {
                client.send("GET " + path("download") + " HTTP/1.1\r\nHost: h\r\n\r\n");
                return client.readDigest(0); // hashed as it is read, never held
            }
        });
        assertThat(digest.length()).isEqualTo(GIB);
        assertThat(digest.sha256()).isEqualTo(expected);
    }

    @Test
    @Timeout(120)
    void oneGibUploadStreamsThroughInBoundedMemory() throws Exception {
        MessageDigest sent = Bodies.newSha();
        String answer = watchingMemory("1 GiB upload", () -> {
            try (RawHttpClient client = RawHttpClient.to(url).timeoutMillis(60_000);
                 InputStream body = new DigestInputStream(Bodies.pattern(GIB, UPLOAD_SEED), sent)) {
                client.send("POST " + path("upload") + " HTTP/1.1\r\nHost: h\r\nContent-Type: application/octet-stream\r\n"
                            + "Content-Length: " + GIB + "\r\n\r\n");
                OutputStream out = client.output();
                body.transferTo(out);
                out.flush();
                RawHttpClient.RawResponse response = client.read();
                assertThat(response.status()).isEqualTo(200);
                return response.bodyText();
            }
        });
        // what the visitor sent, digested as it was sent, is exactly what the local server received
        assertThat(answer).isEqualTo(GIB + " " + HexFormat.of().formatHex(sent.digest()));
    }

    @Test
    @Timeout(120)
    void oneGibDownloadToAVisitorThatStartsSlowStaysInBoundedMemory() throws Exception {
        String expected = downloadSha256();
        AtomicLong slowPhaseBytes = new AtomicLong();
        String what = "1 GiB download, read at " + (SLOW_BYTES_PER_SECOND >> 20) + " MiB/s for "
                      + SLOW_PHASE.toSeconds() + " s then at full speed";
        String sha256 = watchingMemory(what, () -> {
            try (RawHttpClient client = RawHttpClient.to(url).timeoutMillis(60_000)) {
                client.send("GET " + path("download") + " HTTP/1.1\r\nHost: h\r\n\r\n");
                RawHttpClient.RawResponse head = client.readHead();
                assertThat(head.status()).isEqualTo(200);
                BodyStream body = client.openBody(head, false);
                byte[] buf = new byte[64 * 1024];
                long start = System.nanoTime();
                long slowUntil = start + SLOW_PHASE.toNanos();
                long read = 0;
                int n;
                while ((n = body.read(buf, 0, (int) Math.min(buf.length, SLOW_BYTES_PER_SECOND / 20))) >= 0) {
                    read += n;
                    long now = System.nanoTime();
                    if (now < slowUntil) {
                        slowPhaseBytes.set(read);
                        long dueNanos = (long) (read * 1e9 / SLOW_BYTES_PER_SECOND) - (now - start);
                        if (dueNanos > 0) {
                            Thread.sleep(dueNanos / 1_000_000); // pacing the visitor, not waiting for a condition
                        }
                    } else {
                        break;
                    }
                }
                // full speed for the rest
                while (body.read(buf) >= 0) {
                    // digested by the body stream
                }
                assertThat(body.length()).isEqualTo(GIB);
                return body.sha256();
            }
        });
        System.out.printf("  slow phase: %d MiB in %d s%n", slowPhaseBytes.get() >> 20, SLOW_PHASE.toSeconds());
        assertThat(slowPhaseBytes.get()).isLessThan(SLOW_BYTES_PER_SECOND * (SLOW_PHASE.toSeconds() + 1));
        assertThat(sha256).isEqualTo(expected);
    }

    private String path(String rest) {
        return URI.create(url).getPath() + rest;
    }

    private static synchronized String downloadSha256() throws IOException {
        if (downloadSha256 == null) {
            downloadSha256 = Bodies.patternSha256(GIB, DOWNLOAD_SEED);
        }
        return downloadSha256;
    }

    /**
     * Runs {@code work} while sampling both processes' VmRSS every 50 ms; then prints the throughput and
     * the peaks, and checks both processes are alive and stayed under the bound (VmHWM included).
     */
    private <T> T watchingMemory(String what, Callable<T> work) throws Exception {
        AtomicLong relayPeak = new AtomicLong();
        AtomicLong agentPeak = new AtomicLong();
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    relayPeak.accumulateAndGet(relay.rssBytes(), Math::max);
                    agentPeak.accumulateAndGet(agent.rssBytes(), Math::max);
                    Thread.sleep(50); // the sampling period
                } catch (InterruptedException e) {
                    return;
                } catch (IOException e) {
                    return; // a process ended: the checks below say so
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
        assertThat(relay.isAlive()).as("relay alive after " + what).isTrue();
        assertThat(agent.isAlive()).as("agent alive after " + what).isTrue();
        long relayHwm = relay.peakRssBytes();
        long agentHwm = agent.peakRssBytes();
        System.out.printf("%s: %.1f s, %.0f MB/s (%.0f MiB/s); relay VmRSS peak %d MiB, VmHWM %d MiB;"
                          + " agent VmRSS peak %d MiB, VmHWM %d MiB%n", what, seconds, GIB / 1e6 / seconds,
                GIB / 1048576.0 / seconds, relayPeak.get() >> 20, relayHwm >> 20, agentPeak.get() >> 20, agentHwm >> 20);
        assertThat(relayPeak.get()).as("relay VmRSS during " + what).isLessThan(MEMORY_BOUND);
        assertThat(agentPeak.get()).as("agent VmRSS during " + what).isLessThan(MEMORY_BOUND);
        assertThat(relayHwm).as("relay VmHWM after " + what).isLessThan(MEMORY_BOUND);
        assertThat(agentHwm).as("agent VmHWM after " + what).isLessThan(MEMORY_BOUND);
        assertThat(Files.readString(relayLog)).as("relay log").doesNotContain("OutOfMemoryError");
        assertThat(Files.readString(agentLog)).as("agent log").doesNotContain("OutOfMemoryError");
        return result;
    }
}
