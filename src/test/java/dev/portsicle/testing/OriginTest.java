package dev.portsicle.testing;

import dev.portsicle.testing.RawHttpClient.RawResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The test support checked against itself, without a tunnel: if these lie, every tunnel test lies. */
@Timeout(10)
class OriginTest {
    private static final Duration WAIT = Duration.ofSeconds(5);

    private Origin origin;
    private RawHttpClient client;

    @BeforeEach
    void start() throws IOException {
        origin = Origin.start();
        client = new RawHttpClient("127.0.0.1", origin.port());
    }

    @AfterEach
    void stop() throws IOException {
        client.close();
        origin.close();
    }

    @Test
    void recordsTheRequestExactlyAsSentAndAnswersWithRepeatedHeadersInOrder() throws Exception {
        origin.handle((request, response) -> response.status(201, "Made It").header("Set-Cookie", "a=1")
                .header("x-LOWER", "v").header("Set-Cookie", "b=2").body("ok"));
        String head = "PROPFIND /a//b;v=1/%2F%20x?q=1&q=2&e=%3D HTTP/1.1\r\n"
                      + "Host: example\r\n"
                      + "X-Foo: one\r\n"
                      + "x-CaSe:   Kept  \r\n"
                      + "X-Foo: two\r\n"
                      + "Cookie: a=1\r\n"
                      + "Cookie: b=2\r\n\r\n";
        client.send(head);

        RawResponse response = client.read();
        assertThat(response.status()).isEqualTo(201);
        assertThat(response.reason()).isEqualTo("Made It");
        assertThat(response.headers()).containsExactly(new Header("Set-Cookie", "a=1"), new Header("x-LOWER", "v"),
                new Header("Set-Cookie", "b=2"), new Header("Content-Length", "2"));
        assertThat(response.headers("set-cookie")).containsExactly("a=1", "b=2");
        assertThat(response.rawHead()).isEqualTo(
                "HTTP/1.1 201 Made It\r\nSet-Cookie: a=1\r\nx-LOWER: v\r\nSet-Cookie: b=2\r\nContent-Length: 2\r\n\r\n");
        assertThat(response.bodyText()).isEqualTo("ok");

        Origin.Request got = origin.awaitRequests(1, WAIT).get(0);
        assertThat(got.rawHead()).isEqualTo(head);
        assertThat(got.method()).isEqualTo("PROPFIND");
        assertThat(got.target()).isEqualTo("/a//b;v=1/%2F%20x?q=1&q=2&e=%3D");
        assertThat(got.version()).isEqualTo("HTTP/1.1");
        assertThat(got.headers()).containsExactly(new Header("Host", "example"), new Header("X-Foo", "one"),
                new Header("x-CaSe", "Kept"), new Header("X-Foo", "two"), new Header("Cookie", "a=1"),
                new Header("Cookie", "b=2"));
        assertThat(got.headers("x-foo")).containsExactly("one", "two");
        assertThat(got.bodyLength()).isZero();
        assertThat(got.bodySha256()).isEqualTo(Bodies.EMPTY_SHA256);
        assertThat(got.remotePort()).isEqualTo(client.localPort());
        assertThat(origin.problems()).isEmpty();
    }

    @Test
    void chunkedRequestBodyIsDecodedWithTrailersAndTheConnectionStaysInStep() throws Exception {
        origin.handle((request, response) -> response.body(request.bodyLength() + " " + request.bodyText()));
        client.send("POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5;ext=1\r\nhello\r\n" + "2\r\n, \r\n" + "6\r\nworld!\r\n" + "0\r\nX-Sum: 42\r\n\r\n");
        assertThat(client.read().bodyText()).isEqualTo("13 hello, world!");

        client.send("POST /up2 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
        byte[] binary = Bodies.patternBytes(100_000, 1);
        client.sendChunked(new ByteArrayInputStream(binary), 7_000);
        assertThat(client.read().bodyText()).startsWith("100000 ");

        List<Origin.Request> got = origin.awaitRequests(2, WAIT);
        assertThat(got.get(0).bodyText()).isEqualTo("hello, world!");
        assertThat(got.get(0).trailers()).containsExactly(new Header("X-Sum", "42"));
        assertThat(got.get(1).body()).isEqualTo(binary);
        assertThat(got.get(1).bodySha256()).isEqualTo(Bodies.sha256(binary));
        assertThat(got.get(1).remotePort()).isEqualTo(got.get(0).remotePort());
        assertThat(origin.connectionsAccepted()).isEqualTo(1);
    }

    @Test
    void expectContinueGetsAnInterimResponseBeforeTheBodyIsSent() throws Exception {
        client.send("PUT /file HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
        RawResponse interim = client.read();
        assertThat(interim.status()).isEqualTo(100);
        assertThat(interim.isInterim()).isTrue();
        assertThat(interim.rawHead()).isEqualTo("HTTP/1.1 100 Continue\r\n\r\n");
        client.send("abcde");
        assertThat(client.read().bodyText()).isEqualTo("PUT /file");
        assertThat(origin.awaitRequests(1, WAIT).get(0).bodyText()).isEqualTo("abcde");
    }

    @Test
    void aStreamingHandlerCanRefuseAnExpectedBodyWithoutAContinue() throws Exception {
        origin.handleStreaming((request, body, response) -> response.status(417).body("no"));
        client.send("PUT /big HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1000000\r\n\r\n");
        RawResponse refused = client.read();
        assertThat(refused.status()).isEqualTo(417);
        assertThat(refused.bodyText()).isEqualTo("no");
        assertThat(client.closedByPeer()).isTrue(); // the body may or may not follow: the origin stops here
        Origin.Request got = origin.awaitRequests(1, WAIT).get(0);
        assertThat(got.bodyComplete()).isFalse();
        assertThat(got.bodyLength()).isZero();
    }

    @Test
    void headGetsTheHeadOnlyAndTheConnectionStaysInStep() throws Exception {
        origin.handle((request, response) -> {
            if (request.target().equals("/chunked")) {
                response.chunked().write("ignored for HEAD").end();
            } else {
                response.status(200).header("Content-Type", "text/plain").body("twelve bytes");
            }
        });
        client.send("HEAD /file HTTP/1.1\r\nHost: h\r\n\r\n");
        RawResponse head = client.read(true);
        assertThat(head.header("content-length")).isEqualTo("12");
        assertThat(head.body()).isEmpty();
        client.send("HEAD /chunked HTTP/1.1\r\nHost: h\r\n\r\n");
        assertThat(client.readHeadResponse().header("Transfer-Encoding")).isEqualTo("chunked");
        client.send("GET /file HTTP/1.1\r\nHost: h\r\n\r\n");
        assertThat(client.read().bodyText()).isEqualTo("twelve bytes");
        assertThat(origin.connectionsAccepted()).isEqualTo(1);
    }

    @Test
    void closeDelimitedResponseEndsWithTheConnection() throws Exception {
        byte[] body = Bodies.patternBytes(200_000, 3);
        origin.handle((request, response) -> response.status(200).header("Content-Type", "x/y").closeDelimited(body));
        client.send("GET /stream HTTP/1.1\r\nHost: h\r\n\r\n");
        RawResponse response = client.read();
        assertThat(response.header("Content-Length")).isNull();
        assertThat(response.header("Transfer-Encoding")).isNull();
        assertThat(response.body()).isEqualTo(body);
        assertThat(client.closedByPeer()).isTrue();
    }

    @Test
    void fiftyMibDownloadAndUploadStreamWithMatchingDigests() throws Exception {
        long size = 50L * 1024 * 1024;
        origin.handleStreaming((request, body, response) -> {
            if (request.method().equals("GET")) {
                response.status(200).patternBody(size, 11);
            } else {
                response.status(200).body(Bodies.sha256(body)); // read as it arrives, never held
            }
        });
        client.send("GET /big HTTP/1.1\r\nHost: h\r\n\r\n");
        RawHttpClient.Digest download = client.readDigest(0);
        assertThat(download.length()).isEqualTo(size);
        assertThat(download.sha256()).isEqualTo(Bodies.patternSha256(size, 11));

        client.send("POST /big HTTP/1.1\r\nHost: h\r\nContent-Length: " + size + "\r\n\r\n");
        client.send(Bodies.pattern(size, 12), 0);
        String expected = Bodies.patternSha256(size, 12);
        assertThat(client.read().bodyText()).isEqualTo(expected);
        Origin.Request upload = origin.awaitRequests(2, WAIT).get(1);
        assertThat(upload.bodyLength()).isEqualTo(size);
        assertThat(upload.bodySha256()).isEqualTo(expected);
        assertThat(upload.bodyKept()).isFalse();
        assertThat(upload.bodyComplete()).isTrue();
    }

    @Test
    void liveChunkedResponseArrivesPieceByPieceAfterEarlyHints() throws Exception {
        java.util.concurrent.CountDownLatch next = new java.util.concurrent.CountDownLatch(1);
        origin.handle((request, response) -> {
            response.interim(103, "Early Hints", new Header("Link", "</a.css>; rel=preload"));
            Origin.Chunked events = response.status(200).header("Content-Type", "text/event-stream").chunked();
            events.write("data: one\n\n");
            next.await();
            events.write("data: two\n\n");
            events.end(new Header("X-Done", "yes"));
        });
        client.send("GET /events HTTP/1.1\r\nHost: h\r\n\r\n");
        RawResponse hints = client.read();
        assertThat(hints.status()).isEqualTo(103);
        assertThat(hints.header("Link")).isEqualTo("</a.css>; rel=preload");

        RawResponse head = client.readHead();
        assertThat(head.status()).isEqualTo(200);
        BodyStream body = client.openBody(head, false);
        byte[] first = new byte[11];
        assertThat(body.readNBytes(first, 0, first.length)).isEqualTo(11); // before the second is even written
        assertThat(new String(first, StandardCharsets.UTF_8)).isEqualTo("data: one\n\n");
        next.countDown();
        assertThat(new String(body.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("data: two\n\n");
        assertThat(body.trailers()).containsExactly(new Header("X-Done", "yes"));
        assertThat(body.sha256()).isEqualTo(Bodies.sha256("data: one\n\ndata: two\n\n".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void rawAndAbruptResponsesFailTheReadInsteadOfHangingIt() throws Exception {
        origin.handle((request, response) -> {
            switch (request.target()) {
                case "/short" -> response.raw("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
                case "/abort" -> response.abort();
                default -> response.delay(Duration.ofMillis(2_000)).body("late");
            }
        });
        client.send("GET /short HTTP/1.1\r\nHost: h\r\n\r\n");
        assertThatThrownBy(client::read).isInstanceOf(EOFException.class).hasMessageContaining("3 of 10");

        try (RawHttpClient other = new RawHttpClient("127.0.0.1", origin.port())) {
            other.send("GET /abort HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThatThrownBy(other::read).isInstanceOf(IOException.class);
        }
        try (RawHttpClient slow = new RawHttpClient("127.0.0.1", origin.port()).timeoutMillis(200)) {
            slow.send("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThatThrownBy(slow::read).isInstanceOf(java.net.SocketTimeoutException.class)
                    .hasMessageContaining("200 ms");
        }
    }

    @Test
    void malformedRequestsAreRefusedAndReportedNotRecorded() throws Exception {
        client.send("GET /x HTTP/1.1\r\nHost: h\r\nNo colon here\r\n\r\n");
        RawResponse refused = client.read();
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.header("Connection")).isEqualTo("close");
        assertThat(origin.requests()).isEmpty();
        assertThat(origin.problems()).singleElement().asString().contains("No colon here");
        assertThatThrownBy(() -> origin.awaitRequests(1, Duration.ofMillis(50)))
                .isInstanceOf(AssertionError.class).hasMessageContaining("No colon here");
    }

    @Test
    void aHandlerThatWritesNothingGetsA500NotAHang() throws Exception {
        origin.handle((request, response) -> response.status(200));
        client.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        assertThat(client.read().status()).isEqualTo(500);
        assertThat(origin.problems()).singleElement().asString().contains("no response");
    }
}
