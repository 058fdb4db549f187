package dev.portsicle.e2e;

import dev.portsicle.testing.Origin;
import dev.portsicle.testing.RawHttpClient;
import dev.portsicle.testing.TunnelFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Requests whose length two parsers could read differently are refused with 400 and the connection
 * closed, so the local server (here a counting origin) never sees a second, smuggled request.
 */
class RequestSmugglingTest {
    private Origin origin;
    private TunnelFixture tunnel;

    @BeforeEach
    void start() throws Exception {
        origin = Origin.start();
        tunnel = TunnelFixture.start(origin.port());
    }

    @AfterEach
    void stop() throws Exception {
        tunnel.close();
        origin.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n",
        "Transfer-Encoding: chunked\r\nContent-Length: 6\r\n",
        "Content-Length: 6\r\nContent-Length: 5\r\n",
        "Content-Length: 6, 5\r\n",
        "Content-Length: +6\r\n",
        "Transfer-Encoding : chunked\r\n",
        "Transfer-Encoding: chunked, x\r\n",
        "Transfer-Encoding: x, chunked\r\nContent-Length: 6\r\n",
        "Transfer-Encoding:\r\n chunked\r\n",
        "Transfer-Encoding: chunked\r\n , identity\r\n",
    })
    void ambiguousFramingIs400AndNothingIsSmuggled(String framing) throws Exception {
        String smuggled = "GET /" + tunnel.tunnelId() + "/smuggled HTTP/1.1\r\nHost: h\r\n\r\n";
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("POST /" + tunnel.tunnelId() + "/first HTTP/1.1\r\nHost: h\r\n" + framing + "\r\n"
                        + "0\r\n\r\n" + smuggled);
            assertThat(client.read().status()).isEqualTo(400);
            assertThat(client.closedByPeer()).isTrue();
        }
        // whatever reached the local server, it was never the smuggled request
        Thread.sleep(200);
        assertThat(origin.requests()).noneMatch(r -> r.target().equals("/smuggled"));
        assertThat(origin.requests()).isEmpty();
    }

    @org.junit.jupiter.api.Test
    void aFoldedOrdinaryHeaderReachesTheLocalServerAsOneLine() throws Exception {
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("GET /" + tunnel.tunnelId() + "/ HTTP/1.1\r\nHost: h\r\nX-Folded: a\r\n b\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
        }
        // RFC 9112 section 5.2: an obs-fold is replaced by a space before the message goes on
        assertThat(origin.awaitRequests(1, Duration.ofSeconds(5)).get(0).rawHead()).contains("X-Folded: a b\r\n");
    }
}
