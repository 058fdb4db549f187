package dev.portsicle.e2e;

import dev.portsicle.testing.Origin;
import dev.portsicle.testing.RawHttpClient;
import dev.portsicle.testing.RawHttpClient.RawResponse;
import dev.portsicle.testing.TunnelFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** What visitors see when something is wrong, and that the tunnel and relay survive it. */
class TunnelErrorsTest {
    private Origin origin;
    private TunnelFixture tunnel;
    private int localPort;

    @BeforeEach
    void start() throws Exception {
        try (ServerSocket free = new ServerSocket(0)) {
            localPort = free.getLocalPort();
        }
        tunnel = TunnelFixture.start(localPort); // nothing listens there yet
    }

    @AfterEach
    void stop() throws Exception {
        tunnel.close();
        if (origin != null) {
            origin.close();
        }
    }

    private RawResponse get(String path, String accept) throws Exception {
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("GET /" + tunnel.tunnelId() + path + " HTTP/1.1\r\nHost: h\r\nAccept: " + accept + "\r\n\r\n");
            return client.read();
        }
    }

    @Test
    void localServerDownIs502WithinASecondThenServesOnceItIsBack() throws Exception {
        long start = System.nanoTime();
        RawResponse html = get("/", "text/html,*/*");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
        assertThat(html.status()).isEqualTo(502);
        assertThat(html.header("X-Portsicle-Error")).isEqualTo("502");
        assertThat(html.header("Content-Type")).startsWith("text/html");
        assertThat(html.bodyText()).contains("127.0.0.1:" + localPort).contains("connection refused");

        RawResponse text = get("/", "*/*");
        assertThat(text.status()).isEqualTo(502);
        assertThat(text.header("Content-Type")).startsWith("text/plain");

        origin = Origin.startOn(localPort);
        RawResponse ok = get("/back", "*/*");
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.bodyText()).isEqualTo("GET /back");
    }

    @Test
    void localServerDyingMidResponseCutsTheVisitorOffAndTheTunnelStaysUp() throws Exception {
        origin = Origin.startOn(localPort);
        origin.handle((request, response) -> {
            if (request.target().equals("/die")) {
                response.raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part");
            } else {
                response.status(200).body("fine");
            }
        });
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("GET /" + tunnel.tunnelId() + "/die HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThat(org.assertj.core.api.Assertions.catchThrowable(client::read))
                    .hasMessageContaining("cut short");
        }
        assertThat(get("/ok", "*/*").bodyText()).isEqualTo("fine");
    }

    @Test
    void malformedResponseFromTheLocalServerIs502() throws Exception {
        origin = Origin.startOn(localPort);
        origin.handle((request, response) -> response.raw("this is not http\r\n\r\n"));
        RawResponse bad = get("/", "*/*");
        assertThat(bad.status()).isEqualTo(502);
        assertThat(bad.header("X-Portsicle-Error")).isEqualTo("502");
    }

    @Test
    void malformedVisitorRequestIs400AndTheConnectionCloses() throws Exception {
        origin = Origin.startOn(localPort);
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("GARBAGE\r\n\r\n");
            RawResponse bad = client.read();
            assertThat(bad.status()).isEqualTo(400);
            assertThat(client.closedByPeer()).isTrue();
        }
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("GET /" + tunnel.tunnelId() + "/x HTTP/1.1\r\nHost: h\r\nBad Header\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(400);
        }
        assertThat(get("/still", "*/*").status()).isEqualTo(200);
    }

    @Test
    void oversizedRequestHeadsAre431And414() throws Exception {
        origin = Origin.startOn(localPort);
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("GET /" + tunnel.tunnelId() + "/" + "a".repeat(9000) + " HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(414);
        }
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("GET /" + tunnel.tunnelId() + "/ HTTP/1.1\r\nHost: h\r\nX-Big: " + "b".repeat(70_000) + "\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(431);
        }
        assertThat(origin.requests()).isEmpty();
    }

    @Test
    void agentGoneMeansTheRelayStopsRoutingAtOnce() throws Exception {
        origin = Origin.startOn(localPort);
        assertThat(get("/", "*/*").status()).isEqualTo(200);
        tunnel.agent.close();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (tunnel.relay.tunnelCount() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        long start = System.nanoTime();
        RawResponse gone = get("/", "*/*");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
        assertThat(gone.status()).isIn(404, 503);
    }
}
