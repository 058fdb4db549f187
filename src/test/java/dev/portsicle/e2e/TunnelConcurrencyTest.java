package dev.portsicle.e2e;

import dev.portsicle.testing.Bodies;
import dev.portsicle.testing.Origin;
import dev.portsicle.testing.RawHttpClient;
import dev.portsicle.testing.TunnelFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Many exchanges at once on one tunnel, each independent of the others. */
class TunnelConcurrencyTest {
    private Origin origin;
    private TunnelFixture tunnel;
    /** Big enough to outlast many windows; small enough for the paranoid leak detector (slow per byte). */
    private static final long BIG = 16L * 1024 * 1024;
    private final CountDownLatch release = new CountDownLatch(1);

    @BeforeEach
    void start() throws Exception {
        origin = Origin.start();
        origin.handle((request, response) -> {
            if (request.target().equals("/slow")) {
                release.await(10, TimeUnit.SECONDS);
                response.status(200).body("slow done");
            } else if (request.target().startsWith("/big")) {
                response.status(200).patternBody(BIG, 5);
            } else {
                response.status(200).body(request.target() + " " + request.bodyText());
            }
        });
        tunnel = TunnelFixture.start(origin.port());
    }

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        tunnel.close();
        origin.close();
    }

    @Test
    void twoHundredConcurrentRequestsEachGetTheirOwnAnswer() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(200);
        try {
            List<Future<String>> answers = new ArrayList<>();
            CountDownLatch go = new CountDownLatch(1);
            for (int i = 0; i < 200; i++) {
                int n = i;
                answers.add(pool.submit(() -> {
                    go.await();
                    try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
                        String body = "body-" + n;
                        client.send("POST /" + tunnel.tunnelId() + "/req/" + n + " HTTP/1.1\r\nHost: h\r\n"
                                    + "Content-Length: " + body.length() + "\r\n\r\n" + body);
                        return client.read().bodyText();
                    }
                }));
            }
            go.countDown();
            for (int i = 0; i < 200; i++) {
                assertThat(answers.get(i).get(30, TimeUnit.SECONDS)).isEqualTo("/req/" + i + " body-" + i);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aSlowLocalEndpointNeverDelaysOtherRequests() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        CompletableFuture<HttpResponse<String>> slow = http.sendAsync(
                HttpRequest.newBuilder(URI.create(tunnel.url + "slow")).build(), HttpResponse.BodyHandlers.ofString());
        origin.awaitRequests(1, Duration.ofSeconds(5));
        for (int i = 0; i < 20; i++) {
            long start = System.nanoTime();
            HttpResponse<String> fast = http.send(HttpRequest.newBuilder(URI.create(tunnel.url + "fast" + i))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(fast.body()).isEqualTo("/fast" + i + " ");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
        }
        assertThat(slow).isNotDone();
        release.countDown();
        assertThat(slow.get(10, TimeUnit.SECONDS).body()).isEqualTo("slow done");
    }

    @Test
    void aSlowVisitorSlowsOnlyItsOwnDownload() throws Exception {
        String expected = Bodies.patternSha256(BIG, 5);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (RawHttpClient slowClient = RawHttpClient.to(tunnel.url)) {
            slowClient.send("GET /" + tunnel.tunnelId() + "/big-slow HTTP/1.1\r\nHost: h\r\n\r\n");
            // 512 KiB/s: this one would take half a minute
            Future<RawHttpClient.Digest> slow = pool.submit(() -> slowClient.readDigest(512L * 1024));
            origin.awaitRequests(1, Duration.ofSeconds(5));
            try (RawHttpClient fastClient = RawHttpClient.to(tunnel.url)) {
                fastClient.send("GET /" + tunnel.tunnelId() + "/big-fast HTTP/1.1\r\nHost: h\r\n\r\n");
                RawHttpClient.Digest fast = fastClient.readDigest(0);
                assertThat(fast.sha256()).isEqualTo(expected);
            }
            // the fast download went through while the slow one, same size, is still far from done
            assertThat(slow).isNotDone();
            slow.cancel(true);
        } finally {
            pool.shutdownNow();
        }
    }
}
