package dev.portsicle.e2e;

import dev.portsicle.testing.Bodies;
import dev.portsicle.testing.Origin;
import dev.portsicle.testing.RawHttpClient;
import dev.portsicle.testing.RawHttpClient.RawResponse;
import dev.portsicle.testing.TunnelFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How exchanges travel, beyond what Request/ResponseFidelityTest check of their bytes: an interim 100
 * before the body, close-delimited bodies, a large download, and keep-alive connections to the local
 * server.
 */
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
}
