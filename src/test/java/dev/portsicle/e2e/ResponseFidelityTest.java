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
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the local server answers reaches the visitor unchanged: status and reason, every header in order
 * with its case and repeats, bodies byte for byte however they are framed, interim responses, and the
 * local server's own errors as they are (no {@code X-Portsicle-Error}: that marks only the relay's).
 * Requests here carry no {@code text/html} answers unless said, so the relay adds no routing cookie.
 */
class ResponseFidelityTest {
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

    private static String get(String target) {
        return "GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n";
    }

    @Test
    void statusCodesReasonsAndBodiesOfTheLocalServerPassAsTheyAre() throws Exception {
        record Scripted(int status, String reason, String body) {
        }
        List<Scripted> answers = List.of(
                new Scripted(200, "OK", "fine"),
                new Scripted(201, "Created Here", "made"),
                new Scripted(202, "Accepted", "later"),
                new Scripted(299, "Custom Success", "odd but valid"),
                new Scripted(301, "Moved Permanently", "moved"),
                new Scripted(400, "Bad Request", "your fault"),
                new Scripted(404, "Not Found Locally", "no such page"),
                new Scripted(410, "Gone", "gone"),
                new Scripted(418, "I'm a teapot", "short and stout"),
                new Scripted(429, "Too Many Requests", "slow down"),
                new Scripted(500, "Internal Server Error", "boom"),
                new Scripted(502, "Bad Gateway", "the app's own upstream failed"),
                new Scripted(503, "Service Unavailable", "maintenance"));
        origin.handle((request, response) -> {
            Scripted s = answers.get(Integer.parseInt(request.target().substring(1)));
            response.status(s.status(), s.reason()).header("Content-Type", "text/plain").body(s.body());
        });
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            for (int i = 0; i < answers.size(); i++) {
                Scripted s = answers.get(i);
                client.send(get(prefix + "/" + i));
                RawResponse got = client.read();
                assertThat(got.status()).isEqualTo(s.status());
                assertThat(got.reason()).isEqualTo(s.reason());
                assertThat(got.bodyText()).isEqualTo(s.body());
                assertThat(got.header("X-Portsicle-Error")).as("status %d is the local server's", s.status()).isNull();
            }
        }
    }

    @Test
    void responseHeadersPassInOrderWithTheirCaseAndRepeats() throws Exception {
        List<Header> scripted = Header.of(
                "Content-Type", "application/json",
                "X-Foo", "1",
                "x-lower-case", "v",
                "Set-Cookie", "a=1; Path=/",
                "X-Foo", "2",
                "Set-Cookie", "b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT; HttpOnly",
                "Cache-Control", "no-cache, private",
                "Set-Cookie", "c=3; Secure; SameSite=None",
                "Link", "</style.css>; rel=preload; as=style, </app.js>; rel=preload; as=script",
                "X-Empty", "",
                "WWW-Authenticate", "Basic realm=\"a, b\"",
                "X-Foo", "3");
        origin.handle((request, response) -> {
            response.status(200);
            scripted.forEach(h -> response.header(h.name(), h.value()));
            response.body("{}");
        });
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send(get(prefix + "/h"));
            RawResponse got = client.read();
            assertThat(got.headers()).containsExactlyElementsOf(
                    concat(scripted, new Header("Content-Length", "2")));
            assertThat(got.bodyText()).isEqualTo("{}");
        }
    }

    @Test
    void hopByHopResponseHeadersStayOnTheLocalServersHop() throws Exception {
        origin.handle((request, response) -> response.status(200)
                .header("Connection", "close, X-Hop").header("X-Hop", "v").header("Keep-Alive", "timeout=5")
                .header("X-Kept-1", "k").header("Proxy-Connection", "close").header("Upgrade", "h2c")
                .header("X-Kept-2", "k").body("body " + request.target()));
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            for (int i = 0; i < 3; i++) {
                client.send(get(prefix + "/" + i));
                RawResponse got = client.read();
                assertThat(got.headers()).containsExactlyElementsOf(Header.of(
                        "X-Kept-1", "k", "X-Kept-2", "k", "Content-Length", "7"));
                assertThat(got.bodyText()).isEqualTo("body /" + i);
                // the local server closing its connection does not close the visitor's
            }
        }
        assertThat(origin.connectionsAccepted()).isEqualTo(3);
    }

    @Test
    void aFinalAnswerBeforeTheUploadEndsReachesTheVisitor() throws Exception {
        origin.handleStreaming((request, body, response) ->
                response.status(401).header("WWW-Authenticate", "Basic realm=\"x\"").body("log in first"));
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("POST " + prefix + "/upload HTTP/1.1\r\nHost: h\r\nContent-Length: 10000000\r\n\r\n");
            client.send(new byte[100_000]);
            RawResponse got = client.read();
            assertThat(got.status()).isEqualTo(401);
            assertThat(got.headers("WWW-Authenticate")).containsExactly("Basic realm=\"x\"");
            assertThat(got.bodyText()).isEqualTo("log in first");
        }
    }

    @Test
    void noContentAndNotModifiedKeepTheirHeadersAndHaveNoBody() throws Exception {
        origin.handle((request, response) -> {
            switch (request.target()) {
                case "/204" -> response.status(204).header("X-Deleted", "7").noBody();
                // a 304 may state the length of the representation it stands for
                case "/304" -> response.status(304).header("ETag", "\"v1\"").header("Cache-Control", "max-age=60")
                        .header("Content-Length", "1234").noBody();
                default -> response.status(200).body("after " + request.target());
            }
        });
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("DELETE " + prefix + "/204 HTTP/1.1\r\nHost: h\r\n\r\n");
            RawResponse deleted = client.read();
            assertThat(deleted.status()).isEqualTo(204);
            assertThat(deleted.headers()).containsExactly(new Header("X-Deleted", "7"));
            assertThat(deleted.body()).isEmpty();

            client.send("GET " + prefix + "/304 HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"v1\"\r\n\r\n");
            RawResponse cached = client.read();
            assertThat(cached.status()).isEqualTo(304);
            assertThat(cached.headers()).containsExactlyElementsOf(Header.of(
                    "ETag", "\"v1\"", "Cache-Control", "max-age=60", "Content-Length", "1234"));
            assertThat(cached.body()).isEmpty();

            // nothing was left over on the connection: the next response is the next request's
            client.send(get(prefix + "/next"));
            assertThat(client.read().bodyText()).isEqualTo("after /next");
        }
    }

    @Test
    void headResponsesKeepTheirFramingHeadersAndHaveNoBody() throws Exception {
        origin.handle((request, response) -> {
            switch (request.target()) {
                case "/length" -> response.status(200).header("Content-Type", "application/pdf").body("twelve bytes");
                case "/chunked" -> response.status(200).header("Content-Type", "text/plain")
                        .header("Transfer-Encoding", "chunked").noBody();
                default -> response.status(200).body("GET " + request.target());
            }
        });
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("HEAD " + prefix + "/length HTTP/1.1\r\nHost: h\r\n\r\n");
            RawResponse length = client.readHeadResponse();
            assertThat(length.status()).isEqualTo(200);
            assertThat(length.headers()).containsExactlyElementsOf(Header.of(
                    "Content-Type", "application/pdf", "Content-Length", "12"));

            client.send("HEAD " + prefix + "/chunked HTTP/1.1\r\nHost: h\r\n\r\n");
            RawResponse chunked = client.readHeadResponse();
            assertThat(chunked.status()).isEqualTo(200);
            // Transfer-Encoding is framing of each hop (design: hop-by-hop), so the relay may drop it on a
            // bodiless HEAD answer; what it must not do is invent a Content-Length the GET would not have
            assertThat(chunked.headers()).isIn(
                    Header.of("Content-Type", "text/plain"),
                    Header.of("Content-Type", "text/plain", "Transfer-Encoding", "chunked"));

            // in step: no stray body bytes came after either head
            client.send(get(prefix + "/after"));
            assertThat(client.read().bodyText()).isEqualTo("GET /after");
        }
        assertThat(origin.requests()).extracting(Origin.Request::method).containsExactly("HEAD", "HEAD", "GET");
    }

    @Test
    void binaryAndGzipBodiesArriveByteForByteAndStayEncoded() throws Exception {
        byte[] everyByte = new byte[256 * 1024];
        for (int i = 0; i < everyByte.length; i++) {
            everyByte[i] = (byte) (i * 31 + (i >> 8));
        }
        byte[] gzip = gzip("compressible text, ".repeat(20_000));
        origin.handle((request, response) -> {
            switch (request.target()) {
                case "/bin" -> response.status(200).header("Content-Type", "application/octet-stream").body(everyByte);
                case "/gzip-length" -> response.status(200).header("Content-Type", "text/plain")
                        .header("Content-Encoding", "gzip").header("Vary", "Accept-Encoding").body(gzip);
                default -> {
                    Origin.Chunked chunked = response.status(200).header("Content-Type", "application/json")
                            .header("Content-Encoding", "gzip").chunked();
                    for (int off = 0; off < gzip.length; off += 777) {
                        chunked.write(gzip, off, Math.min(777, gzip.length - off));
                    }
                    chunked.end();
                }
            }
        });
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send(get(prefix + "/bin"));
            RawResponse bin = client.read();
            assertThat(bin.header("Content-Length")).isEqualTo(String.valueOf(everyByte.length));
            assertThat(bin.body()).isEqualTo(everyByte);

            client.send("GET " + prefix + "/gzip-length HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\n\r\n");
            RawResponse zipped = client.read();
            assertThat(zipped.headers("Content-Encoding")).containsExactly("gzip");
            assertThat(zipped.header("Content-Length")).isEqualTo(String.valueOf(gzip.length));
            assertThat(zipped.body()).isEqualTo(gzip);

            // the visitor did not even ask for gzip: still nothing is decoded on the way
            client.send(get(prefix + "/gzip-chunked"));
            RawResponse streamed = client.read();
            assertThat(streamed.headers("Content-Encoding")).containsExactly("gzip");
            assertThat(streamed.headers("Transfer-Encoding")).containsExactly("chunked");
            assertThat(streamed.body()).isEqualTo(gzip);
        }
    }

    @Test
    void relativeLocationsAreLeftAsTheyAre() throws Exception {
        List<String> locations = List.of("/login?next=%2Fa%2Fb", "../up?x=1", "?page=2", "next", "#top",
                "//cdn.example/asset.js", "/");
        origin.handle((request, response) -> response.status(302)
                .header("Location", locations.get(Integer.parseInt(request.target().substring(1)))).body(""));
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            for (int i = 0; i < locations.size(); i++) {
                client.send(get(prefix + "/" + i));
                RawResponse got = client.read();
                assertThat(got.status()).isEqualTo(302);
                assertThat(got.headers("Location")).containsExactly(locations.get(i));
            }
        }
    }

    @Test
    void closeDelimitedResponsesArriveCompleteForHttp11AndHttp10Visitors() throws Exception {
        byte[] body = Bodies.patternBytes(1_000_000, 4);
        origin.handle((request, response) -> {
            if (request.target().equals("/empty")) {
                response.status(200).header("Content-Type", "text/plain").closeDelimited(new byte[0]);
            } else {
                response.status(200).header("Content-Type", "application/octet-stream").closeDelimited(body);
            }
        });
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send(get(prefix + "/big"));
            assertThat(client.read().body()).isEqualTo(body);
            client.send(get(prefix + "/empty"));
            RawResponse empty = client.read();
            assertThat(empty.status()).isEqualTo(200);
            assertThat(empty.body()).isEmpty();
        }
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("GET " + prefix + "/big HTTP/1.0\r\nHost: h\r\n\r\n");
            RawResponse old = client.read(); // HTTP/1.0 has no chunked: the relay's close ends it
            assertThat(old.status()).isEqualTo(200);
            assertThat(old.body()).isEqualTo(body);
            assertThat(client.closedByPeer()).isTrue();
        }
    }

    @Test
    void interimResponsesOtherThan100AreForwardedBeforeTheFinalOne() throws Exception {
        origin.handle((request, response) -> {
            response.interim(103, "Early Hints", new Header("Link", "</style.css>; rel=preload; as=style"));
            response.status(200).header("Content-Type", "text/plain").body("final");
        });
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send(get(prefix + "/hints"));
            RawResponse hints = client.read();
            assertThat(hints.status()).isEqualTo(103);
            assertThat(hints.headers("Link")).containsExactly("</style.css>; rel=preload; as=style");
            RawResponse last = client.read();
            assertThat(last.status()).isEqualTo(200);
            assertThat(last.bodyText()).isEqualTo("final");
        }
    }

    private static List<Header> concat(List<Header> headers, Header last) {
        List<Header> all = new java.util.ArrayList<>(headers);
        all.add(last);
        return all;
    }

    private static byte[] gzip(String text) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toByteArray();
    }
}
