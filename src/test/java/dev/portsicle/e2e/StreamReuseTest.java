package dev.portsicle.e2e;

import dev.portsicle.agent.Agent;
import dev.portsicle.testing.Origin;
import dev.portsicle.testing.RawHttpClient;
import dev.portsicle.testing.RawHttpClient.RawResponse;
import dev.portsicle.testing.TunnelFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A visitor connection's keep-alive requests share one stream of the session (design: protocol version
 * 3): what a parked stream holds, when it is given up, and that every exchange still ends right.
 */
class StreamReuseTest {
    private Origin origin;
    private TunnelFixture tunnel;
    private String prefix;

    @AfterEach
    void stop() throws Exception {
        tunnel.close();
        origin.close();
    }

    private void start(UnaryOperator<dev.portsicle.relay.RelayConfig> relayConfig) throws Exception {
        origin = Origin.start().handle((request, response) -> response.status(200).body("at " + request.target()));
        tunnel = TunnelFixture.start(origin.port(), relayConfig, UnaryOperator.identity());
        prefix = "/" + tunnel.tunnelId();
    }

    /** One GET on {@code client}'s connection, and the response to it. */
    private static RawResponse exchange(RawHttpClient client, String target) throws Exception {
        return client.send("GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n").read();
    }

    @Test
    void aParkedStreamGivesItsPlaceToANewRequestAtTheTunnelsStreamLimit() throws Exception {
        // One stream per tunnel: each connection's request takes the place of the other's parked stream,
        // where a limit that counted idle keep-alive connections would answer 503.
        start(config -> config.withMaxStreamsPerTunnel(1));
        try (RawHttpClient first = RawHttpClient.to(tunnel.url);
             RawHttpClient second = RawHttpClient.to(tunnel.url)) {
            for (int round = 0; round < 3; round++) {
                for (RawHttpClient client : List.of(first, second, first)) {
                    String path = "/" + round + (client == first ? "/first" : "/second");
                    RawResponse response = exchange(client, prefix + path);
                    assertThat(response.status()).as(path).isEqualTo(200);
                    assertThat(response.bodyText()).isEqualTo("at " + path);
                }
            }
        }
    }

    @Test
    void aKeptStreamCarriesMoreThanItsFlowControlWindowOverManyExchanges() throws Exception {
        start(UnaryOperator.identity());
        // over 1 MiB each way through one stream whose window is 512 KiB: each exchange must give its credit back
        String padding = "x".repeat(1024);
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            for (int i = 0; i < 1200; i++) {
                String path = "/" + i + "/" + padding;
                assertThat(exchange(client, prefix + path).bodyText()).isEqualTo("at " + path);
            }
        }
    }

    @Test
    void aLaterRequestWhoseLocalServerWentAwayGetsTheAgentsReasonAndTheTunnelRecovers() throws Exception {
        start(UnaryOperator.identity());
        int port = origin.port();
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            assertThat(exchange(client, prefix + "/first").status()).isEqualTo(200);
            origin.close();

            RawResponse failed = exchange(client, prefix + "/second");
            assertThat(failed.status()).isEqualTo(502);
            assertThat(failed.header("X-Portsicle-Error")).isEqualTo("502");
            assertThat(failed.bodyText()).as("the agent's reason, not a stream that broke")
                    .containsAnyOf("is unreachable", "closed the connection");
            assertThat(client.closedByPeer()).isTrue();
        }
        origin = Origin.startOn(port).handle((request, response) -> response.status(200).body("back"));
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            for (int i = 0; i < 2; i++) {
                assertThat(exchange(client, prefix + "/again").bodyText()).isEqualTo("back");
            }
        }
    }

    @Test
    void aCloseDelimitedResponseEndsItsStreamAndTheConnectionGoesOn() throws Exception {
        start(UnaryOperator.identity());
        origin.handle((request, response) -> {
            if (request.target().equals("/until-close")) {
                response.status(200).closeDelimited("all of it");
            } else {
                response.status(200).body("at " + request.target());
            }
        });
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            assertThat(exchange(client, prefix + "/before").bodyText()).isEqualTo("at /before");
            assertThat(exchange(client, prefix + "/until-close").bodyText()).isEqualTo("all of it");
            assertThat(exchange(client, prefix + "/after").bodyText()).isEqualTo("at /after");
        }
    }

    @Test
    void requestsOnOneConnectionToTwoTunnelsEachReachTheirOwn() throws Exception {
        start(UnaryOperator.identity());
        try (Origin otherOrigin = Origin.start().handle((request, response) -> response.status(200).body("other"));
             Agent other = TunnelFixture.startAgent(tunnel.relay, otherOrigin.port(), UnaryOperator.identity())) {
            String otherPrefix = URI.create(other.publicUrl().get(10, TimeUnit.SECONDS)).getPath();
            try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
                for (int i = 0; i < 2; i++) {
                    assertThat(exchange(client, prefix + "/mine").bodyText()).isEqualTo("at /mine");
                    assertThat(exchange(client, otherPrefix + "theirs").bodyText()).isEqualTo("other");
                }
            }
        }
    }

    @Test
    void aDrainingAgentDoesNotWaitForStreamsParkedBetweenRequests() throws Exception {
        start(config -> config.withStreamKeep(Duration.ofMinutes(1)));
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            assertThat(exchange(client, prefix + "/one").status()).isEqualTo(200);
            // the connection stays open and idle, its stream parked
            CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(() -> {
                try {
                    return tunnel.agent.drain(Duration.ofSeconds(20));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(drained.get(10, TimeUnit.SECONDS)).as("no stream was in flight").isTrue();
        }
    }
}
