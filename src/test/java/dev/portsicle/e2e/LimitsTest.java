package dev.portsicle.e2e;

import dev.portsicle.protocol.ControlMessage;
import dev.portsicle.protocol.Protocol;
import dev.portsicle.testing.Origin;
import dev.portsicle.testing.RawHttpClient;
import dev.portsicle.testing.RawHttpClient.RawResponse;
import dev.portsicle.testing.RawWebSocket;
import dev.portsicle.testing.TunnelFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/** The relay's caps on one tunnel's concurrent exchanges and on one agent's tunnels: clear refusals, then recovery. */
class LimitsTest {
    private Origin origin;
    private TunnelFixture tunnel;

    @AfterEach
    void stop() throws Exception {
        if (tunnel != null) {
            tunnel.close();
        }
        origin.close();
    }

    @Test
    void exchangesBeyondATunnelsStreamCapGetA503AndTheTunnelServesAgainOnceTheyEnd() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        URI url = startHolding(2, release);

        List<RawHttpClient> held = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            RawHttpClient client = new RawHttpClient(url.getHost(), url.getPort());
            // Connection: close, so their streams end with them (a kept-alive one stays parked a while)
            client.send("GET " + url.getPath() + "hold HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
            held.add(client);
        }
        origin.awaitRequests(2, Duration.ofSeconds(10)); // both exchanges are in flight at the local server

        RawResponse refused = get(url, "more");
        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.header("X-Portsicle-Error")).isEqualTo("503");
        assertThat(refused.bodyText()).contains("already carries 2 streams at once");

        release.countDown();
        for (RawHttpClient client : held) {
            assertThat(client.read().bodyText()).isEqualTo("done /hold");
            client.close();
        }
        assertThat(get(url, "again").bodyText()).isEqualTo("done /again");
        assertThat(get(url, "and-again").bodyText()).isEqualTo("done /and-again");
    }

    @Test
    void atTheLimitAParkedStreamMakesWayButAnExchangeInFlightDoesNot() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        URI url = startHolding(1, release);
        try (RawHttpClient idle = new RawHttpClient(url.getHost(), url.getPort());
             RawHttpClient holder = new RawHttpClient(url.getHost(), url.getPort())) {
            idle.send("GET " + url.getPath() + "first HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThat(idle.read().bodyText()).isEqualTo("done /first"); // its stream stays parked, in the one place
            holder.send("GET " + url.getPath() + "hold HTTP/1.1\r\nHost: h\r\n\r\n");
            origin.awaitRequests(2, Duration.ofSeconds(10)); // the parked stream made way: /hold is in flight

            idle.send("GET " + url.getPath() + "second HTTP/1.1\r\nHost: h\r\n\r\n");
            RawResponse refused = idle.read();
            assertThat(refused.status()).as("the exchange in flight keeps its stream").isEqualTo(503);
            assertThat(refused.bodyText()).contains("already carries 1 stream at once");

            release.countDown();
            assertThat(holder.read().bodyText()).isEqualTo("done /hold");
        }
        assertThat(get(url, "again").bodyText()).isEqualTo("done /again");
    }

    @Test
    void bindsBeyondAnAgentsTunnelCapAreRefusedWithTheReason() throws Exception {
        origin = Origin.start();
        tunnel = TunnelFixture.start(origin.port(), config -> config.withMaxTunnelsPerAgent(2), UnaryOperator.identity());
        try (RawWebSocket agent = RawWebSocket.connect(tunnel.relay.port())) {
            agent.sendText(ControlMessage.encode(new ControlMessage.Hello(Protocol.VERSION)));
            assertThat(agent.readText()).contains("\"type\":\"welcome\"");
            for (int ref = 1; ref <= 2; ref++) {
                agent.sendText(ControlMessage.encode(new ControlMessage.Bind(ref, "http", null, null, null, null, null, null)));
                assertThat(agent.readText()).contains("\"type\":\"bound\"").contains("\"ref\":" + ref);
            }
            agent.sendText(ControlMessage.encode(new ControlMessage.Bind(3, "http", null, null, null, null, null, null)));
            assertThat(agent.readText()).isEqualTo(ControlMessage.encode(new ControlMessage.Refused(3,
                    "this agent already holds 2 tunnel(s), the most this relay allows it")));
        }
        assertThat(get(URI.create(tunnel.url), "still").status()).isEqualTo(200); // other agents are not affected
    }

    /**
     * A tunnel of at most {@code maxStreams} streams at once, to a local server that answers /hold once
     * {@code release} opens and anything else at once; returns the tunnel's URL.
     */
    private URI startHolding(int maxStreams, CountDownLatch release) throws Exception {
        origin = Origin.start().handle((request, response) -> {
            if (request.target().equals("/hold")) {
                release.await(20, TimeUnit.SECONDS);
            }
            response.status(200).body("done " + request.target());
        });
        tunnel = TunnelFixture.start(origin.port(), config -> config.withMaxStreamsPerTunnel(maxStreams),
                UnaryOperator.identity());
        return URI.create(tunnel.url);
    }

    private static RawResponse get(URI url, String path) throws Exception {
        try (RawHttpClient client = new RawHttpClient(url.getHost(), url.getPort())) {
            client.send("GET " + url.getPath() + path + " HTTP/1.1\r\nHost: h\r\n\r\n");
            return client.read();
        }
    }
}
