package dev.portsicle.e2e;

import dev.portsicle.agent.Agent;
import dev.portsicle.testing.Origin;
import dev.portsicle.testing.RawHttpClient;
import dev.portsicle.testing.RawHttpClient.RawResponse;
import dev.portsicle.testing.TunnelFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/** Which tunnel a visitor request reaches, and with which path. */
class TunnelRoutingTest {
    private Origin origin;
    private TunnelFixture tunnel;

    @BeforeEach
    void start() throws Exception {
        origin = Origin.start();
        origin.handle((request, response) -> response.status(200).header("Content-Type", "text/html")
                .body("page " + request.target()));
        tunnel = TunnelFixture.start(origin.port());
    }

    @AfterEach
    void stop() throws Exception {
        tunnel.close();
        origin.close();
    }

    private RawResponse get(String target, String... headers) throws Exception {
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("GET " + target + " HTTP/1.1\r\nHost: relay.test\r\n" + String.join("", headers) + "\r\n");
            return client.read();
        }
    }

    @Test
    void publicUrlIsAPathUnderTheRelayWithARandomId() {
        assertThat(tunnel.url).matches("http://127\\.0\\.0\\.1:\\d+/[a-z2-7]{13}/");
    }

    @Test
    void pathModeStripsThePrefixAndSetsTheRoutingCookieOnPages() throws Exception {
        RawResponse page = get("/" + tunnel.tunnelId() + "/app/index.html?x=1");
        assertThat(page.bodyText()).isEqualTo("page /app/index.html?x=1");
        assertThat(page.headers("Set-Cookie")).anySatisfy(cookie -> assertThat(cookie)
                .startsWith("portsicle_tunnel=" + tunnel.tunnelId()).contains("Path=/").contains("HTTPOnly"));
    }

    @Test
    void theBareIdRedirectsToItsDirectory() throws Exception {
        RawResponse redirect = get("/" + tunnel.tunnelId() + "?a=b");
        assertThat(redirect.status()).isEqualTo(308);
        assertThat(redirect.header("Location")).isEqualTo("/" + tunnel.tunnelId() + "/?a=b");
    }

    @Test
    void absoluteLinksOfAPathModePageAreRoutedByRefererOrCookie() throws Exception {
        String page = "http://relay.test/" + tunnel.tunnelId() + "/index.html";
        assertThat(get("/assets/app.js", "Referer: " + page + "\r\n").bodyText()).isEqualTo("page /assets/app.js");
        assertThat(get("/api/items", "Cookie: theme=dark; portsicle_tunnel=" + tunnel.tunnelId() + "\r\n").bodyText())
                .isEqualTo("page /api/items");
        // the routing cookie is the relay's: the local server sees only its own
        Origin.Request api = origin.awaitRequests(2, Duration.ofSeconds(5)).get(1);
        assertThat(api.headers("Cookie")).containsExactly("theme=dark");
    }

    @Test
    void unknownTunnelsAre404FromTheRelayAndNeverGuessed() throws Exception {
        RawResponse unknown = get("/abcdefghijklm/", "Accept: text/html\r\n");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.header("X-Portsicle-Error")).isEqualTo("404");
        assertThat(unknown.header("Content-Type")).startsWith("text/html");
        assertThat(get("/ws").status()).isEqualTo(404);
        assertThat(get("/_portsicle/anything").status()).isEqualTo(404);
        assertThat(origin.requests()).isEmpty();
    }

    @Test
    void hostModeRoutesByHostNameWithThePathUnchanged() throws Exception {
        tunnel.close();
        tunnel = TunnelFixture.start(origin.port(), relay -> relay.withDomain("tunnel.test"), UnaryOperator.identity());
        URI url = URI.create(tunnel.url);
        assertThat(url.getHost()).matches("[a-z2-7]{13}\\.tunnel\\.test");
        try (RawHttpClient client = new RawHttpClient("127.0.0.1", url.getPort())) {
            client.send("GET /ws?x=1 HTTP/1.1\r\nHost: " + url.getHost() + ":" + url.getPort() + "\r\n\r\n");
            assertThat(client.read().bodyText()).isEqualTo("page /ws?x=1");
            client.send("GET / HTTP/1.1\r\nHost: nosuchtunnel1.tunnel.test\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(404);
        }
        // path mode keeps working on the same relay
        String id = url.getHost().substring(0, 13);
        try (RawHttpClient client = new RawHttpClient("127.0.0.1", url.getPort())) {
            client.send("GET /" + id + "/p HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            assertThat(client.read().bodyText()).isEqualTo("page /p");
        }
    }

    @Test
    void twoTunnelsOnOneRelayEachGetTheirOwnTraffic() throws Exception {
        try (Origin other = Origin.start()) {
            other.handle((request, response) -> response.status(200).body("other " + request.target()));
            Agent second = TunnelFixture.startAgent(tunnel.relay, other.port(), UnaryOperator.identity());
            try {
                String secondId = URI.create(second.publicUrl().get(10, TimeUnit.SECONDS)).getPath().substring(1, 14);
                assertThat(secondId).isNotEqualTo(tunnel.tunnelId());
                assertThat(get("/" + secondId + "/x").bodyText()).isEqualTo("other /x");
                assertThat(get("/" + tunnel.tunnelId() + "/x").bodyText()).isEqualTo("page /x");
                assertThat(other.requests()).hasSize(1);
                assertThat(origin.requests()).hasSize(1);
            } finally {
                second.close();
            }
        }
    }
}
