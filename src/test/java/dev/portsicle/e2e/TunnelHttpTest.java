package dev.portsicle.e2e;

import dev.portsicle.testing.Bodies;
import dev.portsicle.testing.Header;
import dev.portsicle.testing.Origin;
import dev.portsicle.testing.RawHttpClient;
import dev.portsicle.testing.RawHttpClient.RawResponse;
import dev.portsicle.testing.TunnelFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/** What a visitor sends arrives at the local server unchanged, and what it answers comes back unchanged. */
class TunnelHttpTest {
    private Origin origin;
    private TunnelFixture tunnel;
    private String prefix;

    @BeforeEach
    void start() throws Exception {
        origin = Origin.start();
        tunnel = TunnelFixture.start(origin.port());
        prefix = "/" + tunnel.tunnelId();
    }

    @AfterEach
    void stop() throws Exception {
        tunnel.close();
        origin.close();
    }

    private RawHttpClient client() throws Exception {
        return RawHttpClient.to(tunnel.url);
    }

    @Test
    void requestHeadArrivesAsSentMinusThePrefix() throws Exception {
        try (RawHttpClient client = client()) {
            client.send("PROPFIND " + prefix + "/a//b;v=1/%2F%20x?q=1&q=2&e=%3D HTTP/1.1\r\n"
                        + "Host: public.example\r\n"
                        + "X-Foo: one\r\n"
                        + "x-CaSe: Kept\r\n"
                        + "X-Foo: two\r\n"
                        + "Cookie: a=1\r\n"
                        + "Cookie: b=2\r\n"
                        + "Content-Length: 0\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
        }
        Origin.Request got = origin.awaitRequests(1, Duration.ofSeconds(5)).get(0);
        assertThat(got.method()).isEqualTo("PROPFIND");
        assertThat(got.target()).isEqualTo("/a//b;v=1/%2F%20x?q=1&q=2&e=%3D");
        assertThat(got.headers()).containsSubsequence(
                new Header("X-Foo", "one"), new Header("x-CaSe", "Kept"), new Header("X-Foo", "two"),
                new Header("Cookie", "a=1"), new Header("Cookie", "b=2"));
        assertThat(got.header("Host")).isEqualTo("127.0.0.1:" + origin.port());
        assertThat(got.header("X-Forwarded-Host")).isEqualTo("public.example");
        assertThat(got.header("X-Forwarded-Proto")).isEqualTo("http");
        assertThat(got.headers("X-Forwarded-For")).containsExactly("127.0.0.1");
    }

    @Test
    void hopByHopHeadersStayOnTheirHopAndForgedForwardedForIsReplaced() throws Exception {
        try (RawHttpClient client = client()) {
            client.send("GET " + prefix + "/ HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Secret\r\n"
                        + "X-Secret: drop me\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nProxy-Connection: x\r\n"
                        + "X-Forwarded-For: 6.6.6.6\r\nX-Kept: yes\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
        }
        Origin.Request got = origin.awaitRequests(1, Duration.ofSeconds(5)).get(0);
        assertThat(got.headers()).extracting(Header::name).doesNotContain(
                "Connection", "X-Secret", "Keep-Alive", "TE", "Proxy-Connection");
        assertThat(got.header("X-Kept")).isEqualTo("yes");
        assertThat(got.headers("X-Forwarded-For")).containsExactly("127.0.0.1");
    }

    @Test
    void hostHeaderIsPreservedWhenAsked() throws Exception {
        tunnel.close();
        tunnel = TunnelFixture.start(origin.port(), r -> r,
                a -> a.withHostHeader(dev.portsicle.agent.AgentConfig.HostHeader.PRESERVE));
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("GET /" + tunnel.tunnelId() + "/ HTTP/1.1\r\nHost: public.example:8080\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
        }
        assertThat(origin.awaitRequests(1, Duration.ofSeconds(5)).get(0).header("Host"))
                .isEqualTo("public.example:8080");
    }

    @Test
    void requestBodiesArriveByteForByteWithContentLengthAndChunked() throws Exception {
        byte[] binary = Bodies.pattern(300_000, 7).readAllBytes();
        try (RawHttpClient client = client()) {
            client.send("POST " + prefix + "/cl HTTP/1.1\r\nHost: h\r\nContent-Length: " + binary.length + "\r\n\r\n");
            client.send(binary);
            assertThat(client.read().status()).isEqualTo(200);
            client.send("PUT " + prefix + "/chunked HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
        }
        List<Origin.Request> got = origin.awaitRequests(2, Duration.ofSeconds(5));
        assertThat(got.get(0).bodySha256()).isEqualTo(Bodies.sha256(binary));
        assertThat(got.get(0).bodyLength()).isEqualTo(binary.length);
        assertThat(got.get(1).bodyText()).isEqualTo("hello, world");
    }

    @Test
    void expectContinueGetsTheLocalServersInterimResponseBeforeTheBodyIsSent() throws Exception {
        try (RawHttpClient client = client()) {
            client.send("POST " + prefix + "/upload HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                        + "Content-Length: 5\r\n\r\n");
            RawResponse interim = client.read();
            assertThat(interim.status()).isEqualTo(100);
            client.send("abcde");
            assertThat(client.read().status()).isEqualTo(200);
        }
        assertThat(origin.awaitRequests(1, Duration.ofSeconds(5)).get(0).bodyText()).isEqualTo("abcde");
    }

    @Test
    void responsesComeBackUnchanged() throws Exception {
        byte[] gzip = gzip("compressed text ".repeat(100));
        origin.handle((request, response) -> {
            switch (request.target()) {
                case "/created" -> response.status(201, "Created Here").header("Location", "../items/7")
                        .header("Set-Cookie", "a=1; Path=/").header("Set-Cookie", "b=2; HttpOnly")
                        .header("X-Mixed-Case", "v").body("made");
                case "/empty" -> response.status(204).noBody();
                case "/cached" -> response.status(304).header("ETag", "\"x\"").noBody();
                case "/gzip" -> response.status(200).header("Content-Encoding", "gzip")
                        .header("Content-Type", "text/plain").body(gzip);
                case "/error" -> response.status(500).body("boom");
                default -> response.status(404).body("nope");
            }
        });
        try (RawHttpClient client = client()) {
            client.send("POST " + prefix + "/created HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
            RawResponse created = client.read();
            assertThat(created.status()).isEqualTo(201);
            assertThat(created.reason()).isEqualTo("Created Here");
            assertThat(created.header("Location")).isEqualTo("../items/7");
            assertThat(created.headers("Set-Cookie")).containsExactly("a=1; Path=/", "b=2; HttpOnly");
            assertThat(created.rawHead()).contains("X-Mixed-Case: v\r\n");
            assertThat(created.bodyText()).isEqualTo("made");

            client.send("GET " + prefix + "/empty HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(204);
            client.send("GET " + prefix + "/cached HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"x\"\r\n\r\n");
            RawResponse cached = client.read();
            assertThat(cached.status()).isEqualTo(304);
            assertThat(cached.header("ETag")).isEqualTo("\"x\"");
            client.send("GET " + prefix + "/gzip HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\n\r\n");
            RawResponse zipped = client.read();
            assertThat(zipped.header("Content-Encoding")).isEqualTo("gzip");
            assertThat(zipped.body()).isEqualTo(gzip);
            client.send("GET " + prefix + "/error HTTP/1.1\r\nHost: h\r\n\r\n");
            RawResponse error = client.read();
            assertThat(error.status()).isEqualTo(500);
            assertThat(error.header("X-Portsicle-Error")).isNull();
            assertThat(error.bodyText()).isEqualTo("boom");
        }
    }

    @Test
    void headResponseKeepsItsContentLengthAndHasNoBody() throws Exception {
        origin.handle((request, response) -> response.status(200).body("twelve bytes"));
        try (RawHttpClient client = client()) {
            client.send("HEAD " + prefix + "/file HTTP/1.1\r\nHost: h\r\n\r\n");
            RawResponse head = client.read(true);
            assertThat(head.header("Content-Length")).isEqualTo("12");
            assertThat(head.body()).isEmpty();
            // the connection is still in step: the next response is the GET's
            client.send("GET " + prefix + "/file HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThat(client.read().bodyText()).isEqualTo("twelve bytes");
        }
    }

    @Test
    void closeDelimitedResponseArrivesWhole() throws Exception {
        byte[] body = Bodies.pattern(200_000, 3).readAllBytes();
        origin.handle((request, response) -> response.status(200).closeDelimited(body));
        try (RawHttpClient client = client()) {
            client.send("GET " + prefix + "/stream HTTP/1.1\r\nHost: h\r\n\r\n");
            RawResponse got = client.read();
            assertThat(got.status()).isEqualTo(200);
            assertThat(got.body()).isEqualTo(body);
            // re-framed as chunked for an HTTP/1.1 visitor, so the connection goes on
            client.send("GET " + prefix + "/stream HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThat(client.read().body()).isEqualTo(body);
        }
    }

    @Test
    void largeDownloadStreamsIntact() throws Exception {
        long size = 16L * 1024 * 1024; // the multi-GiB runs are in StreamingIT, without the leak detector's cost
        origin.handle((request, response) -> response.status(200).patternBody(size, 11));
        try (RawHttpClient client = client()) {
            client.send("GET " + prefix + "/big HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttpClient.Digest digest = client.readDigest(0);
            assertThat(digest.length()).isEqualTo(size);
            assertThat(digest.sha256()).isEqualTo(Bodies.patternSha256(size, 11));
        }
    }

    @Test
    void keepAliveConnectionsToTheLocalServerAreReused() throws Exception {
        try (RawHttpClient client = client()) {
            for (int i = 0; i < 20; i++) {
                client.send("GET " + prefix + "/n" + i + " HTTP/1.1\r\nHost: h\r\n\r\n");
                assertThat(client.read().bodyText()).isEqualTo("GET /n" + i);
            }
        }
        assertThat(origin.connectionsAccepted()).isLessThanOrEqualTo(2);
    }

    private static byte[] gzip(String text) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toByteArray();
    }
}
