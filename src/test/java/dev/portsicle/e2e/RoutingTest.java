package dev.portsicle.e2e;

import dev.portsicle.agent.Agent;
import dev.portsicle.agent.AgentConfig;
import dev.portsicle.testing.Origin;
import dev.portsicle.testing.RawHttpClient;
import dev.portsicle.testing.RawHttpClient.RawResponse;
import dev.portsicle.testing.TunnelFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which tunnel a visitor request reaches and with which target: path mode (prefix stripped, bare id
 * redirected), absolute links of path-mode pages (by Referer or the relay's cookie), host mode, unknown
 * ids, the reserved {@code /_portsicle/} space, and several tunnels side by side.
 */
class RoutingTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final String COOKIE = "portsicle_tunnel";

    private Origin origin;
    private TunnelFixture tunnel;
    private String id;

    @BeforeEach
    void start() throws Exception {
        origin = Origin.start();
        origin.handle((request, response) -> response.status(200).header("Content-Type", "text/plain")
                .body("A " + request.method() + " " + request.target()));
        tunnel = TunnelFixture.start(origin.port());
        id = tunnel.tunnelId();
    }

    @AfterEach
    void stop() throws Exception {
        tunnel.close();
        origin.close();
    }

    private RawResponse get(String target, String... headerLines) throws Exception {
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("GET " + target + " HTTP/1.1\r\nHost: relay.test\r\n" + String.join("", headerLines) + "\r\n");
            return client.read();
        }
    }

    /** The relay's routing cookie among {@code setCookies}, as its attributes in lower case; null when absent. */
    private static Set<String> routingCookie(List<String> setCookies, String expectedId) {
        List<String> ours = setCookies.stream().filter(c -> c.startsWith(COOKIE + "=")).toList();
        if (ours.isEmpty()) {
            return null;
        }
        assertThat(ours).hasSize(1);
        List<String> parts = Arrays.stream(ours.get(0).split(";")).map(String::trim).toList();
        assertThat(parts.get(0)).isEqualTo(COOKIE + "=" + expectedId);
        return parts.subList(1, parts.size()).stream().map(p -> p.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
    }

    @Test
    void publicUrlIsAPathUnderTheRelayWithARandomId() {
        assertThat(tunnel.url).matches("http://127\\.0\\.0\\.1:\\d+/[a-z2-7]{13}/");
    }

    @Test
    void theBareIdRedirectsToItsDirectoryKeepingTheQuery() throws Exception {
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("GET /" + id + " HTTP/1.1\r\nHost: relay.test\r\n\r\n");
            RawResponse bare = client.read();
            assertThat(bare.status()).isEqualTo(308);
            assertThat(bare.headers("Location")).containsExactly("/" + id + "/");

            client.send("GET /" + id + "?a=b&c=%2F%20 HTTP/1.1\r\nHost: relay.test\r\n\r\n");
            RawResponse query = client.read();
            assertThat(query.status()).isEqualTo(308);
            assertThat(query.headers("Location")).containsExactly("/" + id + "/?a=b&c=%2F%20");

            client.send("HEAD /" + id + " HTTP/1.1\r\nHost: relay.test\r\n\r\n");
            RawResponse head = client.readHeadResponse();
            assertThat(head.status()).isEqualTo(308);
            assertThat(head.headers("Location")).containsExactly("/" + id + "/");

            // the redirect target itself is the tunnel's root
            client.send("GET /" + id + "/?a=b HTTP/1.1\r\nHost: relay.test\r\n\r\n");
            assertThat(client.read().bodyText()).isEqualTo("A GET /?a=b");
        }
        assertThat(origin.requests()).extracting(Origin.Request::target).containsExactly("/?a=b");
    }

    @Test
    void pathModePagesGetTheRoutingCookieAfterTheLocalServersOwnAndOtherResponsesDoNot() throws Exception {
        origin.handle((request, response) -> {
            String type = switch (request.target()) {
                case "/page" -> "text/html";
                case "/page-upper" -> "Text/HTML; charset=UTF-8";
                case "/json" -> "application/json";
                default -> "text/plain";
            };
            response.status(200).header("Content-Type", type)
                    .header("Set-Cookie", "session=s1; Path=/; HttpOnly").header("Set-Cookie", "theme=dark")
                    .body("<p>hi</p>");
        });
        for (String page : List.of("/page", "/page-upper")) {
            RawResponse html = get("/" + id + page);
            List<String> setCookies = html.headers("Set-Cookie");
            assertThat(setCookies).hasSize(3);
            assertThat(setCookies.subList(0, 2)).containsExactly("session=s1; Path=/; HttpOnly", "theme=dark");
            assertThat(routingCookie(setCookies, id)).as(page)
                    .containsExactlyInAnyOrder("path=/", "httponly", "samesite=lax");
            assertThat(html.bodyText()).isEqualTo("<p>hi</p>");
        }
        for (String other : List.of("/json", "/text")) {
            assertThat(get("/" + id + other).headers("Set-Cookie")).as(other)
                    .containsExactly("session=s1; Path=/; HttpOnly", "theme=dark");
        }
    }

    @Test
    void absoluteLinksOfAPathModePageAreRoutedByTheReferer() throws Exception {
        List<String> referers = List.of(
                "http://relay.test/" + id + "/index.html",
                "https://tunnel.example.com/" + id + "/deep/page?x=1",
                "http://relay.test/" + id + "?x=1",
                "http://relay.test/" + id);
        for (String referer : referers) {
            assertThat(get("/assets/app.js?v=3", "Referer: " + referer + "\r\n").bodyText()).as(referer)
                    .isEqualTo("A GET /assets/app.js?v=3");
        }
        List<Origin.Request> got = origin.awaitRequests(referers.size(), WAIT);
        assertThat(got).extracting(r -> r.header("Referer")).containsExactlyElementsOf(referers);
    }

    @Test
    void absoluteLinksOfAPathModePageAreRoutedByTheCookieWhichTheLocalServerNeverSees() throws Exception {
        assertThat(get("/api/items?x=1", "Cookie: " + COOKIE + "=" + id + "\r\n").bodyText())
                .isEqualTo("A GET /api/items?x=1");
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("POST /api/items HTTP/1.1\r\nHost: relay.test\r\nCookie: a=1; " + COOKIE + "=" + id
                        + "\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{\"n\": 1}\n");
            assertThat(client.read().bodyText()).isEqualTo("A POST /api/items");
        }
        List<Origin.Request> got = origin.awaitRequests(2, WAIT);
        assertThat(got.get(0).headers("Cookie")).isEmpty();
        assertThat(got.get(1).headers("Cookie")).containsExactly("a=1");
        assertThat(got.get(1).bodyText()).isEqualTo("{\"n\": 1}\n");
    }

    @Test
    void applicationPathsAreNotHijacked() throws Exception {
        List<String> paths = List.of("/ws", "/api", "/api/v1/users?id=1", "/tunnel", "/portsicle",
                "/_portsiclex/y", "/_next/static/chunk.js", "/socket.io/?EIO=4&transport=polling");
        for (String path : paths) {
            assertThat(get(path, "Cookie: " + COOKIE + "=" + id + "\r\n").bodyText()).as(path)
                    .isEqualTo("A GET " + path);
        }
        assertThat(origin.awaitRequests(paths.size(), WAIT)).extracting(Origin.Request::target)
                .containsExactlyElementsOf(paths);
    }

    @Test
    void theReservedSpaceIsNeverRoutedToATunnel() throws Exception {
        RawResponse byCookie = get("/_portsicle/status", "Cookie: " + COOKIE + "=" + id + "\r\n");
        assertThat(byCookie.status()).isEqualTo(404);
        assertThat(byCookie.header("X-Portsicle-Error")).isEqualTo("404");
        RawResponse byReferer = get("/_portsicle/status", "Referer: http://relay.test/" + id + "/\r\n");
        assertThat(byReferer.status()).isEqualTo(404);
        assertThat(byReferer.header("X-Portsicle-Error")).isEqualTo("404");
        // the agents' own path answers as the relay, whatever cookie comes with it
        RawResponse agentPath = get("/_portsicle/tunnel", "Cookie: " + COOKIE + "=" + id + "\r\n");
        assertThat(agentPath.status()).isBetween(400, 499);
        assertThat(agentPath.header("X-Portsicle-Error")).isNotNull();
        assertThat(origin.requests()).isEmpty();
    }

    @Test
    void unknownIdsAre404FromTheRelayAndNeverGuessed() throws Exception {
        String unknown = id.equals("abcdefghijklm") ? "mlkjihgfedcba" : "abcdefghijklm";
        List<RawResponse> answers = List.of(
                get("/" + unknown + "/"),
                get("/" + unknown + "/x", "Accept: text/html,*/*;q=0.8\r\n"),
                get("/" + id.toUpperCase(Locale.ROOT) + "/"),
                get("/" + id.substring(1) + "/"),
                get("/"),
                get("/favicon.ico"),
                get("/assets/app.js", "Referer: http://relay.test/" + unknown + "/page\r\n"),
                get("/assets/app.js", "Cookie: " + COOKIE + "=" + unknown + "\r\n"));
        for (RawResponse answer : answers) {
            assertThat(answer.status()).isEqualTo(404);
            assertThat(answer.header("X-Portsicle-Error")).isEqualTo("404");
        }
        assertThat(answers.get(0).header("Content-Type")).startsWith("text/plain");
        assertThat(answers.get(1).header("Content-Type")).startsWith("text/html");
        assertThat(origin.requests()).isEmpty();
    }

    @Test
    void hostModeRoutesByNameWithTheTargetUnchanged() throws Exception {
        tunnel.close();
        tunnel = TunnelFixture.start(origin.port(), relay -> relay.withDomain("tunnel.test"), UnaryOperator.identity());
        URI url = URI.create(tunnel.url);
        String hostId = url.getHost().substring(0, url.getHost().indexOf('.'));
        assertThat(tunnel.url).isEqualTo("http://" + hostId + ".tunnel.test:" + tunnel.relay.port() + "/");
        String publicHost = hostId + ".tunnel.test:" + tunnel.relay.port();
        origin.handle((request, response) -> response.status(200).header("Content-Type", "text/html")
                .body("A " + request.target()));
        try (RawHttpClient client = new RawHttpClient("127.0.0.1", tunnel.relay.port())) {
            // a path that looks like path mode is still the app's own in host mode
            client.send("GET /" + hostId + "/x?y=1 HTTP/1.1\r\nHost: " + publicHost + "\r\n\r\n");
            RawResponse page = client.read();
            assertThat(page.bodyText()).isEqualTo("A /" + hostId + "/x?y=1");
            assertThat(page.headers("Set-Cookie")).as("no routing cookie is needed in host mode").isEmpty();

            client.send("GET /ws HTTP/1.1\r\nHost: " + publicHost.toUpperCase(Locale.ROOT) + "\r\n\r\n");
            assertThat(client.read().bodyText()).isEqualTo("A /ws");

            client.send("GET /x HTTP/1.1\r\nHost: nosuchtunnel2.tunnel.test\r\n\r\n");
            RawResponse unknown = client.read();
            assertThat(unknown.status()).isEqualTo(404);
            assertThat(unknown.header("X-Portsicle-Error")).isEqualTo("404");

            // path mode goes on working on the same relay
            client.send("GET /" + hostId + "/p HTTP/1.1\r\nHost: 127.0.0.1:" + tunnel.relay.port() + "\r\n\r\n");
            assertThat(client.read().bodyText()).isEqualTo("A /p");
        }
        List<Origin.Request> got = origin.awaitRequests(3, WAIT);
        assertThat(got.get(0).headers("Host")).containsExactly("127.0.0.1:" + origin.port());
        assertThat(got.get(0).headers("X-Forwarded-Host")).containsExactly(publicHost);
    }

    @Test
    void hostModeWithAPreservedHostShowsThePublicNameToTheLocalServer() throws Exception {
        tunnel.close();
        tunnel = TunnelFixture.start(origin.port(), relay -> relay.withDomain("tunnel.test"),
                agent -> agent.withHostHeader(AgentConfig.HostHeader.PRESERVE));
        String publicHost = URI.create(tunnel.url).getRawAuthority();
        try (RawHttpClient client = new RawHttpClient("127.0.0.1", tunnel.relay.port())) {
            client.send("GET /a HTTP/1.1\r\nHost: " + publicHost + "\r\n\r\n");
            assertThat(client.read().bodyText()).isEqualTo("A GET /a");
        }
        Origin.Request got = origin.awaitRequests(1, WAIT).get(0);
        assertThat(got.headers("Host")).containsExactly(publicHost);
        assertThat(got.headers("X-Forwarded-Host")).containsExactly(publicHost);
    }

    @Test
    void tunnelsOnOneRelayNeverSeeEachOthersTraffic() throws Exception {
        try (Origin originB = Origin.start()) {
            originB.handle((request, response) -> response.status(200).header("Content-Type", "text/plain")
                    .body("B " + request.method() + " " + request.target()));
            Agent agentB = TunnelFixture.startAgent(tunnel.relay, originB.port(), UnaryOperator.identity());
            try {
                String idB = URI.create(agentB.publicUrl().get(10, TimeUnit.SECONDS)).getPath().substring(1, 14);
                assertThat(idB).isNotEqualTo(id);

                // one visitor connection going back and forth between the two
                try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
                    for (int i = 0; i < 6; i++) {
                        String to = i % 2 == 0 ? id : idB;
                        client.send("GET /" + to + "/seq" + i + " HTTP/1.1\r\nHost: relay.test\r\n\r\n");
                        assertThat(client.read().bodyText()).isEqualTo((i % 2 == 0 ? "A" : "B") + " GET /seq" + i);
                    }
                    // the path names the tunnel, whatever the cookie and Referer of the other one say
                    client.send("GET /" + idB + "/explicit HTTP/1.1\r\nHost: relay.test\r\nCookie: " + COOKIE + "="
                                + id + "\r\nReferer: http://relay.test/" + id + "/page\r\n\r\n");
                    assertThat(client.read().bodyText()).isEqualTo("B GET /explicit");
                }

                // many visitors at once, interleaved
                ExecutorService pool = Executors.newFixedThreadPool(8);
                try {
                    List<Future<?>> done = new ArrayList<>();
                    for (int t = 0; t < 8; t++) {
                        int thread = t;
                        done.add(pool.submit(() -> {
                            try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
                                for (int i = 0; i < 10; i++) {
                                    boolean a = (thread + i) % 2 == 0;
                                    String path = "/c" + thread + "-" + i;
                                    client.send("GET /" + (a ? id : idB) + path + " HTTP/1.1\r\nHost: relay.test\r\n\r\n");
                                    assertThat(client.read().bodyText()).isEqualTo((a ? "A" : "B") + " GET " + path);
                                }
                            }
                            return null;
                        }));
                    }
                    for (Future<?> f : done) {
                        f.get(15, TimeUnit.SECONDS);
                    }
                } finally {
                    pool.shutdownNow();
                }

                List<String> seenByA = origin.awaitRequests(3 + 40, WAIT).stream().map(Origin.Request::target).toList();
                List<String> seenByB = originB.awaitRequests(4 + 40, WAIT).stream().map(Origin.Request::target).toList();
                assertThat(seenByA).contains("/seq0", "/seq2", "/seq4").doesNotContain("/seq1", "/seq3", "/seq5", "/explicit");
                assertThat(seenByB).contains("/seq1", "/seq3", "/seq5", "/explicit").doesNotContain("/seq0", "/seq2", "/seq4");
                for (int t = 0; t < 8; t++) {
                    for (int i = 0; i < 10; i++) {
                        String path = "/c" + t + "-" + i;
                        assertThat((t + i) % 2 == 0 ? seenByA : seenByB).contains(path);
                        assertThat((t + i) % 2 == 0 ? seenByB : seenByA).doesNotContain(path);
                    }
                }
                assertThat(seenByA).hasSize(43);
                assertThat(seenByB).hasSize(44);
                assertThat(originB.requests().stream().filter(r -> r.target().equals("/explicit")).findFirst()
                        .orElseThrow().headers("Cookie")).isEmpty();
            } finally {
                agentB.close();
            }
        }
    }
}
