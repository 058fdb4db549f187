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

    private static String get(String target) {
        return "GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n";
    }

    @Test
    void aConnectionKeepsItsStreamBetweenRequestsAndGivesItUpAfterStreamKeep() throws Exception {
        // One stream per tunnel: the second connection can only get one when the first has let go of its.
        start(config -> config.withMaxStreamsPerTunnel(1).withStreamKeep(Duration.ofSeconds(2)));
        try (RawHttpClient first = RawHttpClient.to(tunnel.url)) {
            for (String path : new String[] {"/one", "/two", "/three"}) {
                first.send(get(prefix + path));
                assertThat(first.read().bodyText()).isEqualTo("at " + path);
            }
            try (RawHttpClient second = RawHttpClient.to(tunnel.url)) {
                second.send(get(prefix + "/other"));
                RawResponse refused = second.read();
                assertThat(refused.status()).as("the first connection's stream is parked").isEqualTo(503);
            }
            first.send(get(prefix + "/four"));
            assertThat(first.read().bodyText()).as("the parked stream carries the next request").isEqualTo("at /four");

            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            int status = 0;
            while (status != 200 && System.nanoTime() < deadline) {
                Thread.sleep(200);
                try (RawHttpClient second = RawHttpClient.to(tunnel.url)) {
                    status = second.send(get(prefix + "/later")).read().status();
                }
            }
            assertThat(status).as("served once the idle first connection gave its stream up").isEqualTo(200);
        }
    }

    @Test
    void aConnectionGoesOnPastTheExchangesOneStreamCarries() throws Exception {
        start(UnaryOperator.identity());
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            for (int i = 0; i < 1200; i++) { // a stream carries 512, then the next request opens another
                client.send(get(prefix + "/" + i));
                assertThat(client.read().bodyText()).isEqualTo("at /" + i);
            }
        }
    }

    @Test
    void aLaterRequestWhoseLocalServerWentAwayGetsTheAgentsReasonAndTheTunnelRecovers() throws Exception {
        start(UnaryOperator.identity());
        int port = origin.port();
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send(get(prefix + "/first"));
            assertThat(client.read().status()).isEqualTo(200);
            origin.close();

            client.send(get(prefix + "/second"));
            RawResponse failed = client.read();
            assertThat(failed.status()).isEqualTo(502);
            assertThat(failed.header("X-Portsicle-Error")).isEqualTo("502");
            assertThat(failed.bodyText()).as("the agent's reason, not a stream that broke")
                    .containsAnyOf("is unreachable", "closed the connection");
            assertThat(client.closedByPeer()).isTrue();
        }
        origin = Origin.startOn(port).handle((request, response) -> response.status(200).body("back"));
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            for (int i = 0; i < 2; i++) {
                client.send(get(prefix + "/again"));
                assertThat(client.read().bodyText()).isEqualTo("back");
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
            client.send(get(prefix + "/before"));
            assertThat(client.read().bodyText()).isEqualTo("at /before");
            client.send(get(prefix + "/until-close"));
            assertThat(client.read().bodyText()).isEqualTo("all of it");
            client.send(get(prefix + "/after"));
            assertThat(client.read().bodyText()).isEqualTo("at /after");
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
                    client.send(get(prefix + "/mine"));
                    assertThat(client.read().bodyText()).isEqualTo("at /mine");
                    client.send(get(otherPrefix + "theirs"));
                    assertThat(client.read().bodyText()).isEqualTo("other");
                }
            }
        }
    }

    @Test
    void aDrainingAgentDoesNotWaitForStreamsParkedBetweenRequests() throws Exception {
        start(config -> config.withStreamKeep(Duration.ofMinutes(1)));
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send(get(prefix + "/one"));
            assertThat(client.read().status()).isEqualTo(200);
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
