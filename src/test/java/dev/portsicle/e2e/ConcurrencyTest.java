package dev.portsicle.e2e;

import dev.portsicle.testing.Bodies;
import dev.portsicle.testing.BodyStream;
import dev.portsicle.testing.Origin;
import dev.portsicle.testing.RawHttpClient;
import dev.portsicle.testing.TunnelFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One tunnel, many visitors at once: each gets exactly its own answer, a slow local endpoint holds up
 * only its own requests, and a slow reader holds up only its own download (per-stream flow control).
 */
class ConcurrencyTest {
    private static final int VISITORS = 200;
    private static final int REQUESTS_PER_VISITOR = 2;
    /** How long the local server's slow endpoint thinks before answering. */
    private static final Duration SLOW_ENDPOINT = Duration.ofSeconds(3);
    /** The fast download: many times the 512 KiB stream window, small enough for the paranoid leak detector. */
    private static final long DOWNLOAD = 4L * 1024 * 1024;
    private static final long DOWNLOAD_SEED = 7;
    /** The slow visitor's download: more than every buffer on its way holds, so its stream stalls. */
    private static final long SLOW_DOWNLOAD = 12L * 1024 * 1024;
    private static final long SLOW_SEED = 8;
    /** The slow visitor's pace: its download would take three minutes at it. */
    private static final long SLOW_READ_BYTES_PER_SECOND = 64 * 1024;
    /**
     * How far the local server must get ahead of the slow visitor before we call its stream stalled:
     * more than the visitor's socket buffers hold (about 4 MiB on loopback) plus the relay's stream
     * window, so the rest waits at the agent side, held back by the stream's flow-control window.
     */
    private static final long STALLED_AHEAD = 6L * 1024 * 1024;

    private Origin origin;
    private TunnelFixture tunnel;
    private ExecutorService pool;
    /** Bytes of the slow download the local server has handed to its socket so far. */
    private final AtomicLong slowProduced = new AtomicLong();

    @BeforeEach
    void start() throws Exception {
        origin = Origin.start();
        origin.handle((request, response) -> {
            String target = request.target();
            if (target.startsWith("/slow")) {
                response.delay(SLOW_ENDPOINT).status(200).body("slow " + target);
            } else if (target.equals("/download/slow")) {
                response.status(200).body(counting(Bodies.pattern(SLOW_DOWNLOAD, SLOW_SEED), slowProduced), SLOW_DOWNLOAD);
            } else if (target.startsWith("/download")) {
                response.status(200).patternBody(DOWNLOAD, DOWNLOAD_SEED);
            } else {
                // The target, then the request body as received: a mixed-up answer cannot pass for another.
                ByteArrayOutputStream echo = new ByteArrayOutputStream();
                echo.write((target + "\n").getBytes(StandardCharsets.UTF_8));
                echo.write(request.body());
                response.status(200).header("X-Echo-Target", target).body(echo.toByteArray());
            }
        });
        tunnel = TunnelFixture.start(origin.port());
        pool = Executors.newCachedThreadPool();
    }

    @AfterEach
    void stop() throws Exception {
        if (pool != null) {
            pool.shutdownNow();
        }
        if (tunnel != null) {
            tunnel.close();
        }
        if (origin != null) {
            origin.close();
        }
    }

    @Test
    void twoHundredConcurrentVisitorsEachGetExactlyTheirOwnAnswer() throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<List<String>>> visitors = new ArrayList<>();
        for (int v = 0; v < VISITORS; v++) {
            int visitor = v;
            visitors.add(pool.submit(() -> {
                go.await();
                List<String> mismatches = new ArrayList<>();
                // Two requests on one keep-alive connection, bodies of different sizes (some several frames).
                try (RawHttpClient client = RawHttpClient.to(tunnel.url).timeoutMillis(30_000)) {
                    for (int r = 0; r < REQUESTS_PER_VISITOR; r++) {
                        String target = "/v" + visitor + "/r" + r + "?who=" + visitor + "-" + r;
                        int size = (visitor * 7919 + r * 104_729) % (48 * 1024);
                        byte[] body = Bodies.patternBytes(size, visitor * 1000L + r);
                        client.send("POST /" + tunnel.tunnelId() + target + " HTTP/1.1\r\nHost: h\r\n"
                                    + "Content-Length: " + size + "\r\n\r\n");
                        client.send(body);
                        RawHttpClient.RawResponse response = client.read();
                        ByteArrayOutputStream expected = new ByteArrayOutputStream();
                        expected.write((target + "\n").getBytes(StandardCharsets.UTF_8));
                        expected.write(body);
                        if (response.status() != 200 || !target.equals(response.header("X-Echo-Target"))
                            || !Bodies.sha256(expected.toByteArray()).equals(Bodies.sha256(response.body()))) {
                            mismatches.add(target + " got " + response.status() + " for "
                                           + response.header("X-Echo-Target") + " with " + response.body().length
                                           + " body bytes (expected " + expected.size() + ")");
                        }
                    }
                }
                return mismatches;
            }));
        }
        go.countDown();
        List<String> mismatches = new ArrayList<>();
        for (Future<List<String>> visitor : visitors) {
            mismatches.addAll(visitor.get(60, TimeUnit.SECONDS));
        }
        assertThat(mismatches).isEmpty();
        assertThat(origin.awaitRequests(VISITORS * REQUESTS_PER_VISITOR, Duration.ofSeconds(5)))
                .hasSize(VISITORS * REQUESTS_PER_VISITOR);
        assertThat(origin.problems()).isEmpty();
    }

    @Test
    void aSlowLocalEndpointNeverDelaysOtherRequests() throws Exception {
        int slowCount = 5;
        long slowStart = System.nanoTime();
        List<Future<RawHttpClient.RawResponse>> slow = new ArrayList<>();
        for (int i = 0; i < slowCount; i++) {
            slow.add(pool.submit(get("/slow/" + i)));
        }
        origin.awaitRequests(slowCount, Duration.ofSeconds(5)); // all of them are with the local server now

        long worstNanos = 0;
        // one after another...
        for (int i = 0; i < 20; i++) {
            long start = System.nanoTime();
            RawHttpClient.RawResponse fast = get("/fast/" + i).call();
            worstNanos = Math.max(worstNanos, System.nanoTime() - start);
            assertThat(fast.status()).isEqualTo(200);
            assertThat(fast.header("X-Echo-Target")).isEqualTo("/fast/" + i);
        }
        // ...and twenty at once
        List<Future<Long>> parallel = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String target = "/parallel/" + i;
            parallel.add(pool.submit(() -> {
                long start = System.nanoTime();
                RawHttpClient.RawResponse fast = get(target).call();
                assertThat(fast.header("X-Echo-Target")).isEqualTo(target);
                return System.nanoTime() - start;
            }));
        }
        for (Future<Long> nanos : parallel) {
            worstNanos = Math.max(worstNanos, nanos.get(5, TimeUnit.SECONDS));
        }
        long fastPhaseDone = System.nanoTime();
        System.out.printf("slow endpoint pending: worst of 40 fast requests %d ms%n", worstNanos / 1_000_000);
        assertThat(Duration.ofNanos(worstNanos)).isLessThan(Duration.ofSeconds(1));
        assertThat(slow).noneMatch(Future::isDone);

        for (int i = 0; i < slowCount; i++) {
            RawHttpClient.RawResponse response = slow.get(i).get(10, TimeUnit.SECONDS);
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo("slow /slow/" + i);
        }
        long slowDone = System.nanoTime();
        assertThat(Duration.ofNanos(slowDone - slowStart)).isGreaterThanOrEqualTo(SLOW_ENDPOINT);
        assertThat(fastPhaseDone).isLessThan(slowDone);
    }

    @Test
    void aSlowVisitorDoesNotSlowAConcurrentFastDownload() throws Exception {
        String expected = Bodies.patternSha256(DOWNLOAD, DOWNLOAD_SEED);
        String expectedSlow = Bodies.patternSha256(SLOW_DOWNLOAD, SLOW_SEED);
        // Warm-up and yardstick: the same download with nobody else on the tunnel.
        long alone = timed(() -> assertThat(download("/download/alone").sha256()).isEqualTo(expected));

        AtomicBoolean fullSpeed = new AtomicBoolean();
        AtomicLong slowBytes = new AtomicLong();
        try (RawHttpClient slowClient = RawHttpClient.to(tunnel.url).timeoutMillis(30_000)) {
            slowClient.send("GET /" + tunnel.tunnelId() + "/download/slow HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttpClient.RawResponse head = slowClient.readHead();
            assertThat(head.status()).isEqualTo(200);
            BodyStream slowBody = slowClient.openBody(head, false);
            Future<String> slow = pool.submit(() -> readPaced(slowBody, slowBytes, fullSpeed));
            // Wait until the slow visitor's stream is full all the way back to the local server.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (slowProduced.get() - slowBytes.get() < STALLED_AHEAD) {
                assertThat(System.nanoTime()).as("the local server ran %d KiB ahead of the slow visitor, waiting for %d",
                        (slowProduced.get() - slowBytes.get()) >> 10, STALLED_AHEAD >> 10).isLessThan(deadline);
                Thread.sleep(20);
            }

            long alongside = timed(() -> assertThat(download("/download/fast").sha256()).isEqualTo(expected));
            long slowSoFar = slowBytes.get();
            System.out.printf("%d MiB download: alone %d ms (%.1f MB/s), beside a stalled slow visitor %d ms (%.1f MB/s);"
                              + " the slow visitor had read %d KiB, its local server had sent %d KiB%n",
                    DOWNLOAD >> 20, alone / 1_000_000, DOWNLOAD * 1e3 / alone, alongside / 1_000_000,
                    DOWNLOAD * 1e3 / alongside, slowSoFar >> 10, slowProduced.get() >> 10);
            assertThat(slow).isNotDone();
            // Generous for a shared CI machine, yet far below what head-of-line blocking would cost
            // (the fast download would then wait for the slow reader: two minutes).
            assertThat(Duration.ofNanos(alongside)).isLessThan(Duration.ofNanos(3 * alone).plusSeconds(1));

            // The slow stream, held back all this while, still delivers every byte in order.
            fullSpeed.set(true);
            assertThat(slow.get(60, TimeUnit.SECONDS)).isEqualTo(expectedSlow);
            assertThat(slowBytes.get()).isEqualTo(SLOW_DOWNLOAD);
        }
    }

    private java.util.concurrent.Callable<RawHttpClient.RawResponse> get(String target) {
        return () -> {
            try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
                client.send("GET /" + tunnel.tunnelId() + target + " HTTP/1.1\r\nHost: h\r\n\r\n");
                return client.read();
            }
        };
    }

    private RawHttpClient.Digest download(String target) throws IOException {
        try (RawHttpClient client = RawHttpClient.to(tunnel.url).timeoutMillis(30_000)) {
            client.send("GET /" + tunnel.tunnelId() + target + " HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttpClient.Digest digest = client.readDigest(0);
            assertThat(digest.length()).isEqualTo(DOWNLOAD);
            return digest;
        }
    }

    /** Reads {@code body} at {@link #SLOW_READ_BYTES_PER_SECOND} until {@code fullSpeed}, then as fast as it comes. */
    private static String readPaced(BodyStream body, AtomicLong read, AtomicBoolean fullSpeed) throws Exception {
        byte[] buf = new byte[16 * 1024];
        long start = System.nanoTime();
        int n;
        while ((n = body.read(buf)) >= 0) {
            long total = read.addAndGet(n);
            if (!fullSpeed.get()) {
                long dueNanos = (long) (total * 1e9 / SLOW_READ_BYTES_PER_SECOND) - (System.nanoTime() - start);
                if (dueNanos > 0) {
                    Thread.sleep(dueNanos / 1_000_000); // pacing the reader, not waiting for a condition
                }
            }
        }
        return body.sha256();
    }

    private static InputStream counting(InputStream in, AtomicLong count) {
        return new FilterInputStream(in) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0) {
                    count.addAndGet(n);
                }
                return n;
            }
        };
    }

    private interface Work {
        void run() throws Exception;
    }

    private static long timed(Work work) throws Exception {
        long start = System.nanoTime();
        work.run();
        return System.nanoTime() - start;
    }
}
