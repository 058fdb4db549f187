package dev.portsicle.e2e;

import dev.portsicle.agent.AgentConfig;
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
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a visitor sends reaches the local server unchanged: the method, the raw target (minus the
 * path-mode prefix), every header in order with its case and repeats, and the body byte for byte. The
 * only differences allowed are the relay's own: Host, the X-Forwarded-* headers, the hop-by-hop headers
 * and its routing cookie.
 */
class RequestFidelityTest {
    /** Headers the relay and agent set themselves; left out when comparing header lists. */
    private static final Set<String> SET_BY_THE_TUNNEL = Set.of(
            "host", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host");
    private static final Duration WAIT = Duration.ofSeconds(5);

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

    /** The visitor's headers as the local server should see them: all but those the tunnel sets. */
    private static List<Header> ownHeaders(Origin.Request request) {
        return request.headers().stream()
                .filter(h -> !SET_BY_THE_TUNNEL.contains(h.name().toLowerCase(Locale.ROOT))).toList();
    }

    @Test
    void everyMethodArrivesAsSent() throws Exception {
        List<String> methods = List.of("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND",
                "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "PURGE", "REPORT", "SEARCH", "M-SEARCH");
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            for (String method : methods) {
                client.send(method + " " + prefix + "/res HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
                RawResponse response = client.read();
                assertThat(response.status()).as(method).isEqualTo(200);
                assertThat(response.bodyText()).isEqualTo(method + " /res");
            }
        }
        assertThat(origin.awaitRequests(methods.size(), WAIT)).extracting(Origin.Request::method)
                .containsExactlyElementsOf(methods);
    }

    @Test
    void rawTargetsArriveUnchangedMinusThePrefix() throws Exception {
        List<String> targets = List.of(
                "/",
                "/?",
                "/?q=1&q=2&e=%3D&plus=a+b&empty=&flag",
                "/a%2Fb/%20c%20/%25",
                "//double//slashes//",
                "/matrix;a=1;b=2/x;y=%3B?m=;",
                "/a/./b/../c",
                "/%2e%2e/%2E%2E/x",
                "/~user/file.tar.gz?u=%E2%82%AC&s=%C3%A9",
                "/search?q=a/b?c=d&r=http://x.example/y",
                "/" + "deep/".repeat(50) + "end",
                "/" + tunnel.tunnelId() + "/again");
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            for (String target : targets) {
                client.send("GET " + prefix + target + " HTTP/1.1\r\nHost: h\r\n\r\n");
                assertThat(client.read().bodyText()).isEqualTo("GET " + target);
            }
        }
        assertThat(origin.awaitRequests(targets.size(), WAIT)).extracting(Origin.Request::target)
                .containsExactlyElementsOf(targets);
    }

    @Test
    void headersArriveInOrderWithTheirCaseAndRepeats() throws Exception {
        List<Header> sent = Header.of(
                "User-Agent", "portsicle-test/1.0 (like curl)",
                "X-Foo", "one",
                "accept", "*/*",
                "x-MiXeD-CaSe", "Kept",
                "X-Foo", "two",
                "Cookie", "a=1",
                "X-Empty", "",
                "Cookie", "b=2; c=3",
                "X-Inner-Spaces", "a  b\t c",
                "X-Token-Chars!#$%&'*+.^_`|~", "v",
                "Accept-Encoding", "gzip, deflate, br",
                "If-None-Match", "\"abc\", W/\"def\"",
                "Authorization", "Bearer abc.def.ghi",
                "X-Quoted", "\"a, b\"; q=\"1\"",
                "X-Long", "L".repeat(8000),
                "X-Foo", "three");
        StringBuilder head = new StringBuilder("GET " + prefix + "/h HTTP/1.1\r\nHost: public.example\r\n");
        sent.forEach(h -> head.append(h.name()).append(": ").append(h.value()).append("\r\n"));
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send(head.append("\r\n").toString());
            assertThat(client.read().status()).isEqualTo(200);
        }
        Origin.Request got = origin.awaitRequests(1, WAIT).get(0);
        assertThat(ownHeaders(got)).containsExactlyElementsOf(sent);
    }

    @Test
    void theRewrittenHostKeepsItsPlaceAndCase() throws Exception {
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("GET " + prefix + "/ HTTP/1.1\r\nHost: public.example\r\nX-After-Host: 1\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
        }
        // only the value changes: the first header field is still Host, spelled as the visitor spelled it
        assertThat(origin.awaitRequests(1, WAIT).get(0).headers()).startsWith(
                new Header("Host", "127.0.0.1:" + origin.port()), new Header("X-After-Host", "1"));
    }

    @Test
    void theRoutingCookieIsRemovedAndEveryOtherHeaderKeepsItsPlace() throws Exception {
        String id = tunnel.tunnelId();
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            // a browser on a path-mode page sends the relay's cookie along with the app's own
            client.send("GET " + prefix + "/page HTTP/1.1\r\nHost: h\r\n"
                        + "X-First: 1\r\n"
                        + "Cookie: session=abc; portsicle_tunnel=" + id + "; theme=dark\r\n"
                        + "X-Middle: 2\r\n"
                        + "Cookie: portsicle_tunnel=" + id + "\r\n"
                        + "X-Last: 3\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
        }
        Origin.Request got = origin.awaitRequests(1, WAIT).get(0);
        assertThat(ownHeaders(got)).containsExactly(
                new Header("X-First", "1"),
                new Header("Cookie", "session=abc; theme=dark"),
                new Header("X-Middle", "2"),
                new Header("X-Last", "3"));
    }

    @Test
    void theRelayTellsWhoAskedAndReplacesWhatTheVisitorClaimed() throws Exception {
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("GET " + prefix + "/ HTTP/1.1\r\nHost: Public.Example:8443\r\n"
                        + "X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-For: 7.7.7.7, 8.8.8.8\r\n"
                        + "X-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
        }
        Origin.Request got = origin.awaitRequests(1, WAIT).get(0);
        assertThat(got.headers("Host")).containsExactly("127.0.0.1:" + origin.port());
        assertThat(got.headers("X-Forwarded-For")).containsExactly("127.0.0.1");
        assertThat(got.headers("X-Forwarded-Proto")).containsExactly("http");
        assertThat(got.headers("X-Forwarded-Host")).containsExactly("Public.Example:8443");
    }

    @Test
    void thePublicHostIsKeptWhenTheAgentPreservesIt() throws Exception {
        tunnel.close();
        tunnel = TunnelFixture.start(origin.port(), UnaryOperator.identity(),
                agent -> agent.withHostHeader(AgentConfig.HostHeader.PRESERVE));
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("GET /" + tunnel.tunnelId() + "/ HTTP/1.1\r\nHost: public.example:8080\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
        }
        Origin.Request got = origin.awaitRequests(1, WAIT).get(0);
        assertThat(got.headers("Host")).containsExactly("public.example:8080");
        assertThat(got.headers("X-Forwarded-Host")).containsExactly("public.example:8080");
    }

    @Test
    void aPreservedHostIsPassedExactlyWhereTheVisitorPutIt() throws Exception {
        tunnel.close();
        tunnel = TunnelFixture.start(origin.port(), UnaryOperator.identity(),
                agent -> agent.withHostHeader(AgentConfig.HostHeader.PRESERVE));
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("GET /" + tunnel.tunnelId() + "/ HTTP/1.1\r\nX-A: 1\r\nhost: Pub.Example\r\nX-B: 2\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
        }
        List<Header> got = origin.awaitRequests(1, WAIT).get(0).headers().stream()
                .filter(h -> !h.name().toLowerCase(Locale.ROOT).startsWith("x-forwarded-")).toList();
        assertThat(got).containsExactlyElementsOf(Header.of("X-A", "1", "host", "Pub.Example", "X-B", "2"));
    }

    @Test
    void pipelinedRequestsEachArriveWholeAndAreAnsweredInOrder() throws Exception {
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            // four requests in one write, the third with a body, as a pipelining client sends them
            client.send("GET " + prefix + "/1 HTTP/1.1\r\nHost: h\r\n\r\n"
                        + "DELETE " + prefix + "/2 HTTP/1.1\r\nHost: h\r\n\r\n"
                        + "POST " + prefix + "/3 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
                        + "GET " + prefix + "/4 HTTP/1.1\r\nHost: h\r\n\r\n");
            for (String expected : List.of("GET /1", "DELETE /2", "POST /3", "GET /4")) {
                assertThat(client.read().bodyText()).isEqualTo(expected);
            }
        }
        List<Origin.Request> got = origin.awaitRequests(4, WAIT);
        assertThat(got).extracting(Origin.Request::requestLine).containsExactly(
                "GET /1 HTTP/1.1", "DELETE /2 HTTP/1.1", "POST /3 HTTP/1.1", "GET /4 HTTP/1.1");
        assertThat(got.get(2).bodyText()).isEqualTo("abc");
    }

    @Test
    void hopByHopHeadersStayOnTheVisitorsHop() throws Exception {
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("GET " + prefix + "/ HTTP/1.1\r\nHost: h\r\n"
                        + "Connection: keep-alive, X-Hop-A\r\n"
                        + "X-Hop-A: a\r\n"
                        + "Keep-Alive: timeout=5, max=100\r\n"
                        + "X-Kept-1: yes\r\n"
                        + "Proxy-Connection: keep-alive\r\n"
                        + "TE: trailers, deflate\r\n"
                        + "Trailer: X-Checksum\r\n"
                        + "Upgrade: h2c\r\n"
                        + "connection: x-hop-b\r\n"
                        + "X-HOP-B: b\r\n"
                        + "X-Kept-2: yes\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
        }
        Origin.Request got = origin.awaitRequests(1, WAIT).get(0);
        assertThat(ownHeaders(got)).containsExactly(new Header("X-Kept-1", "yes"), new Header("X-Kept-2", "yes"));
    }

    @Test
    void contentLengthBodiesArriveByteForByte() throws Exception {
        byte[] everyByte = new byte[256 * 4096];
        for (int i = 0; i < everyByte.length; i++) {
            everyByte[i] = (byte) i;
        }
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("POST " + prefix + "/bytes HTTP/1.1\r\nHost: h\r\nContent-Type: application/octet-stream\r\n"
                        + "Content-Length: " + everyByte.length + "\r\n\r\n");
            // in uneven pieces, as a slow network would deliver them
            for (int off = 0; off < everyByte.length; off += 65_521) {
                client.send(java.util.Arrays.copyOfRange(everyByte, off, Math.min(everyByte.length, off + 65_521)));
            }
            assertThat(client.read().status()).isEqualTo(200);
            client.send("POST " + prefix + "/empty HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
        }
        List<Origin.Request> got = origin.awaitRequests(2, WAIT);
        assertThat(got.get(0).bodyLength()).isEqualTo(everyByte.length);
        assertThat(got.get(0).body()).isEqualTo(everyByte);
        assertThat(got.get(0).headers("Content-Length")).containsExactly(String.valueOf(everyByte.length));
        assertThat(got.get(1).bodyLength()).isZero();
        assertThat(got.get(1).headers("Content-Length")).containsExactly("0");
        assertThat(origin.problems()).isEmpty();
    }

    @Test
    void chunkedBodiesArriveByteForByte() throws Exception {
        long size = 3L * 1024 * 1024 + 17;
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            // tiny and odd chunks, an extension, uppercase hex sizes
            client.send("PUT " + prefix + "/small HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "1\r\na\r\n1;name=value\r\nb\r\nA\r\n0123456789\r\n1F\r\n" + "x".repeat(31) + "\r\n0\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
            client.send("POST " + prefix + "/big HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
            client.sendChunked(Bodies.pattern(size, 21), 8191);
            assertThat(client.read().status()).isEqualTo(200);
        }
        List<Origin.Request> got = origin.awaitRequests(2, WAIT);
        assertThat(got.get(0).bodyText()).isEqualTo("ab0123456789" + "x".repeat(31));
        assertThat(got.get(1).bodyLength()).isEqualTo(size);
        assertThat(got.get(1).bodySha256()).isEqualTo(Bodies.patternSha256(size, 21));
        assertThat(origin.problems()).isEmpty();
    }

    @Test
    void theRequestBodyStreamsToTheLocalServerBeforeTheVisitorHasSentItAll() throws Exception {
        CountDownLatch firstBytesArrived = new CountDownLatch(1);
        origin.handleStreaming((request, body, response) -> {
            byte[] first = body.readNBytes(1000);
            firstBytesArrived.countDown();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            all.write(first);
            body.transferTo(all);
            response.status(200).body(Bodies.sha256(all.toByteArray()));
        });
        byte[] upload = Bodies.patternBytes(2000, 5);
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("POST " + prefix + "/upload HTTP/1.1\r\nHost: h\r\nContent-Length: 2000\r\n\r\n");
            client.send(java.util.Arrays.copyOf(upload, 1000));
            assertThat(firstBytesArrived.await(5, TimeUnit.SECONDS))
                    .as("the first half of the body reached the local server while the rest was not sent yet")
                    .isTrue();
            client.send(java.util.Arrays.copyOfRange(upload, 1000, 2000));
            assertThat(client.read().bodyText()).isEqualTo(Bodies.sha256(upload));
        }
    }

    @Test
    void expectContinueGetsTheLocalServersOwn100BeforeTheBodyIsSent() throws Exception {
        origin.autoContinue(false).handleStreaming((request, body, response) -> {
            response.interim(100, "Continue", new Header("X-Continue-From", "origin"));
            String sha = Bodies.sha256(body);
            response.status(201).body(sha);
        });
        byte[] upload = Bodies.patternBytes(100_000, 9);
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("PUT " + prefix + "/file HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                        + "Content-Length: " + upload.length + "\r\n\r\n");
            RawResponse interim = client.read(); // the body is held back until this arrives
            assertThat(interim.status()).isEqualTo(100);
            assertThat(interim.header("X-Continue-From")).isEqualTo("origin");
            client.send(upload);
            RawResponse created = client.read();
            assertThat(created.status()).isEqualTo(201);
            assertThat(created.bodyText()).isEqualTo(Bodies.sha256(upload));
        }
        Origin.Request got = origin.awaitRequests(1, WAIT).get(0);
        assertThat(got.header("Expect")).isEqualTo("100-continue");
        assertThat(got.bodyLength()).isEqualTo(upload.length);
    }

    @Test
    void expectContinueRefusedByTheLocalServerGetsItsFinalAnswerAndNo100() throws Exception {
        origin.autoContinue(false).handleStreaming((request, body, response) ->
                response.status(413).header("Content-Type", "text/plain").body("too big for me"));
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("PUT " + prefix + "/file HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                        + "Content-Length: 50000000\r\n\r\n");
            RawResponse answer = client.read();
            assertThat(answer.status()).isEqualTo(413);
            assertThat(answer.bodyText()).isEqualTo("too big for me");
            assertThat(answer.header("X-Portsicle-Error")).isNull();
        }
    }
}
