package dev.portsicle.e2e;

import dev.portsicle.testing.Bodies;
import dev.portsicle.testing.Origin;
import dev.portsicle.testing.RawHttpClient;
import dev.portsicle.testing.RawHttpClient.RawResponse;
import dev.portsicle.testing.TunnelFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a visitor gets when something is wrong (local server down or gone, agent gone, malformed
 * request), that it gets it promptly instead of a hang, and that the tunnel serves again afterwards.
 * Clients here read with short timeouts: a hang fails the test with "no data within ... ms".
 */
class ErrorsTest {
    /** "Within a second" of the brief, measured around a whole exchange on a fresh connection. */
    private static final Duration PROMPTLY = Duration.ofSeconds(1);

    private Origin origin;
    private TunnelFixture tunnel;
    private int localPort;
    private String prefix;

    @BeforeEach
    void start() throws Exception {
        try (ServerSocket free = new ServerSocket(0)) {
            localPort = free.getLocalPort();
        }
        tunnel = TunnelFixture.start(localPort); // nothing listens there yet
        prefix = "/" + tunnel.tunnelId();
    }

    @AfterEach
    void stop() throws Exception {
        tunnel.close();
        if (origin != null) {
            origin.close();
        }
    }

    private RawHttpClient client() throws Exception {
        return RawHttpClient.to(tunnel.url).timeoutMillis(3000);
    }

    /** One exchange on a fresh connection, with how long it took. */
    private record Timed(RawResponse response, Duration took) {
    }

    private Timed exchange(String request) throws Exception {
        long start = System.nanoTime();
        try (RawHttpClient client = client()) {
            client.send(request);
            RawResponse response = request.startsWith("HEAD ") ? client.readHeadResponse() : client.read();
            return new Timed(response, Duration.ofNanos(System.nanoTime() - start));
        }
    }

    private static String get(String target, String accept) {
        return "GET " + target + " HTTP/1.1\r\nHost: h\r\nAccept: " + accept + "\r\n\r\n";
    }

    @Test
    void localServerDownIsA502PageForBrowsersAndTextForScriptsThenTheSameUrlServesAgain() throws Exception {
        String urlBefore = tunnel.url;
        Timed html = exchange(get(prefix + "/", "text/html,application/xhtml+xml,*/*;q=0.8"));
        assertThat(html.took()).isLessThan(PROMPTLY);
        assertThat(html.response().status()).isEqualTo(502);
        assertThat(html.response().header("X-Portsicle-Error")).isEqualTo("502");
        assertThat(html.response().header("Content-Type")).startsWith("text/html");
        assertThat(html.response().bodyText()).startsWith("<!doctype html>").contains("502");

        Timed text = exchange(get(prefix + "/api", "application/json"));
        assertThat(text.took()).isLessThan(PROMPTLY);
        assertThat(text.response().status()).isEqualTo(502);
        assertThat(text.response().header("X-Portsicle-Error")).isEqualTo("502");
        assertThat(text.response().header("Content-Type")).startsWith("text/plain");
        assertThat(text.response().bodyText()).startsWith("502 Bad Gateway\n");

        origin = Origin.startOn(localPort);
        RawResponse back = exchange(get(prefix + "/back?x=1", "*/*")).response();
        assertThat(back.status()).isEqualTo(200);
        assertThat(back.bodyText()).isEqualTo("GET /back?x=1");
        assertThat(tunnel.agent.publicUrl().getNow(null)).isEqualTo(urlBefore);
    }

    @Test
    void localServerDownAnswersUploadsAndHeadRequestsPromptly() throws Exception {
        byte[] upload = Bodies.patternBytes(200_000, 1);
        long start = System.nanoTime();
        try (RawHttpClient client = client()) {
            client.send("POST " + prefix + "/upload HTTP/1.1\r\nHost: h\r\nContent-Length: " + upload.length + "\r\n\r\n");
            client.send(upload);
            RawResponse post = client.read();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(PROMPTLY);
            assertThat(post.status()).isEqualTo(502);
            assertThat(post.header("X-Portsicle-Error")).isEqualTo("502");
        }
        try (RawHttpClient client = client()) {
            client.send("HEAD " + prefix + "/file HTTP/1.1\r\nHost: h\r\n\r\n");
            RawResponse head = client.readHeadResponse();
            assertThat(head.status()).isEqualTo(502);
            assertThat(head.header("X-Portsicle-Error")).isEqualTo("502");
            // no page follows the head of a HEAD answer: the next thing on the connection is its end
            assertThat(client.closedByPeer()).isTrue();
        }
    }

    @Test
    void localServerThatWentAwayIs502AndServesAgainOnTheFirstRequestOnceItIsBack() throws Exception {
        origin = Origin.startOn(localPort);
        try (RawHttpClient client = client()) {
            for (int i = 0; i < 3; i++) { // leaves kept-alive connections in the agent's pool
                client.send(get(prefix + "/warm" + i, "*/*"));
                assertThat(client.read().status()).isEqualTo(200);
            }
        }
        origin.close(); // a crash: its connections die too

        Timed down = exchange(get(prefix + "/down", "*/*"));
        assertThat(down.took()).isLessThan(PROMPTLY);
        assertThat(down.response().status()).isEqualTo(502);
        assertThat(down.response().header("X-Portsicle-Error")).isEqualTo("502");

        origin = Origin.startOn(localPort);
        RawResponse first = exchange(get(prefix + "/first", "*/*")).response();
        assertThat(first.status()).isEqualTo(200);
        assertThat(first.bodyText()).isEqualTo("GET /first");
    }

    @Test
    void agentGoneMeansAnImmediateAnswerNeverAHang() throws Exception {
        origin = Origin.startOn(localPort);
        assertThat(exchange(get(prefix + "/", "*/*")).response().status()).isEqualTo(200);

        tunnel.agent.close(); // no waiting for the relay to notice: the next visitors come right away
        for (int i = 0; i < 3; i++) {
            Timed gone = exchange(get(prefix + "/after" + i, "*/*"));
            assertThat(gone.took()).isLessThan(PROMPTLY);
            assertThat(gone.response().status()).isIn(404, 503);
            assertThat(gone.response().header("X-Portsicle-Error")).isEqualTo(String.valueOf(gone.response().status()));
        }
        assertThat(origin.requests()).hasSize(1);
    }

    @Test
    void agentGoneWhileARequestIsInFlightEndsThatRequestPromptly() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        origin = Origin.startOn(localPort);
        origin.handle((request, response) -> {
            release.await(10, TimeUnit.SECONDS); // a slow local server
            response.status(200).body("late");
        });
        try (RawHttpClient client = client()) {
            client.send(get(prefix + "/slow", "*/*"));
            origin.awaitRequests(1, Duration.ofSeconds(5));

            CompletableFuture<Void> closing = CompletableFuture.runAsync(tunnel.agent::close);
            long start = System.nanoTime();
            Throwable failure = null;
            RawResponse answer = null;
            try {
                answer = client.read();
            } catch (java.net.SocketTimeoutException e) {
                throw new AssertionError("the visitor was left hanging after the agent went away", e);
            } catch (java.io.IOException e) {
                failure = e; // cut off: acceptable, the visitor knows at once
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
            if (failure == null) {
                assertThat(answer.status()).isIn(502, 503);
                assertThat(answer.header("X-Portsicle-Error")).isEqualTo(String.valueOf(answer.status()));
            }
            closing.get(5, TimeUnit.SECONDS);
        } finally {
            release.countDown();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "GARBAGE\r\n\r\n",
        "\u0001\u0002\u0003\u00ff\u00fe garbage \u0000\r\n\r\n",
        "GET /%s/x HTTP/1.1 trailing junk\r\nHost: h\r\n\r\n",
        "GET /%s/a b HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /%s/x FOO/1.1\r\nHost: h\r\n\r\n",
        "GET /%s/x HTTP/1.1\r\nHost: h\r\nNo colon here\r\n\r\n",
        "GET /%s/x HTTP/1.1\r\nHost: h\r\nBad Name: v\r\n\r\n",
    })
    void malformedRequestsAre400WithTheConnectionClosedAndTheTunnelServesOn(String malformed) throws Exception {
        origin = Origin.startOn(localPort);
        try (RawHttpClient client = client()) {
            client.send(malformed.replace("%s", tunnel.tunnelId()));
            RawResponse bad = client.read();
            assertThat(bad.status()).isEqualTo(400);
            assertThat(bad.header("X-Portsicle-Error")).isEqualTo("400");
            assertThat(client.closedByPeer()).isTrue();
        }
        assertThat(origin.requests()).isEmpty();
        assertThat(exchange(get(prefix + "/still", "*/*")).response().bodyText()).isEqualTo("GET /still");
    }

    @Test
    void aMalformedRequestAfterAGoodOneOnTheSameConnectionIs400AndTheFirstIsUntouched() throws Exception {
        origin = Origin.startOn(localPort);
        try (RawHttpClient client = client()) {
            client.send(get(prefix + "/good", "*/*"));
            assertThat(client.read().bodyText()).isEqualTo("GET /good");
            client.send("NOT HTTP AT ALL\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(400);
            assertThat(client.closedByPeer()).isTrue();
        }
        assertThat(origin.requests()).extracting(Origin.Request::target).containsExactly("/good");
    }

    @Test
    void theRelaysOwnAnswersToHeadRequestsHaveNoBodyAndKeepTheConnectionInStep() throws Exception {
        origin = Origin.startOn(localPort);
        try (RawHttpClient client = client()) {
            client.send("HEAD /abcdefghijklm/ HTTP/1.1\r\nHost: h\r\nAccept: text/html\r\n\r\n");
            RawResponse unknown = client.readHeadResponse();
            assertThat(unknown.status()).isEqualTo(404);
            assertThat(unknown.header("X-Portsicle-Error")).isEqualTo("404");
            client.send(get(prefix + "/next", "*/*"));
            assertThat(client.read().bodyText()).isEqualTo("GET /next");
        }
    }
}
