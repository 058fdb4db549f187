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
    void aConnectionKeepsItsStreamBetweenRequestsAndGivesItUpAfterStreamKeep() throws Exception {
        // One stream per tunnel: the second connection can only get one when the first has let go of its.
        start(config -> config.withMaxStreamsPerTunnel(1).withStreamKeep(Duration.ofSeconds(2)));
        try (RawHttpClient first = RawHttpClient.to(tunnel.url)) {
            for (String path : new String[] {"/one", "/two", "/three"}) {
                assertThat(exchange(first, prefix + path).bodyText()).isEqualTo("at " + path);
            }
            try (RawHttpClient second = RawHttpClient.to(tunnel.url)) {
                RawResponse refused = exchange(second, prefix + "/other");
                assertThat(refused.status()).as("the first connection's stream is parked").isEqualTo(503);
            }
            assertThat(exchange(first, prefix + "/four").bodyText()).as("the parked stream carries the next request")
                    .isEqualTo("at /four");

            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            int status = 0;
            while (status != 200 && System.nanoTime() < deadline) {
                Thread.sleep(200);
                try (RawHttpClient second = RawHttpClient.to(tunnel.url)) {
                    status = exchange(second, prefix + "/later").status();
                }
            }
            assertThat(status).as("served once the idle first connection gave its stream up").isEqualTo(200);
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
