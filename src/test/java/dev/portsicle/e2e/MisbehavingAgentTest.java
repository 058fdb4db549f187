package dev.portsicle.e2e;

import dev.portsicle.protocol.ControlMessage;
import dev.portsicle.protocol.Protocol;
import dev.portsicle.testing.Origin;
import dev.portsicle.testing.RawHttpClient;
import dev.portsicle.testing.RawWebSocket;
import dev.portsicle.testing.TunnelFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Random;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A misbehaving agent (a {@link RawWebSocket} at the relay's agent path) is disconnected cleanly for
 * each kind of bad input, while a well-behaved agent's tunnel on the same relay keeps serving visitors;
 * and no agent gets another one's tunnel.
 */
class MisbehavingAgentTest {
    private static final String SECRET = "the relay's secret for this test";
    private static final int DISCONNECTED_WITHIN_MILLIS = 5_000;
    private static final String HELLO = ControlMessage.encode(new ControlMessage.Hello(Protocol.VERSION));
    /** HTTP/2 frame: length 0, type SETTINGS (4), no flags, stream 0: the agent's (server's) preface. */
    private static final byte[] SETTINGS = HexFormat.of().parseHex("000000" + "04" + "00" + "00000000");
    /** HTTP/2 frame: length 1, type DATA (0), END_STREAM, stream 0 (DATA must name a stream), "x". */
    private static final byte[] DATA_ON_STREAM_ZERO = HexFormat.of().parseHex("000001" + "00" + "01" + "00000000" + "78");

    private Origin origin;
    private TunnelFixture tunnel;

    @BeforeEach
    void start() throws Exception {
        origin = Origin.start();
        tunnel = TunnelFixture.start(origin.port(), config -> config.withSecret(SECRET), UnaryOperator.identity());
        assertTunnelServes();
    }

    @AfterEach
    void stop() throws Exception {
        tunnel.close();
        origin.close();
    }

    @Test
    void garbageBeforeHello() throws Exception {
        try (RawWebSocket agent = RawWebSocket.connect(tunnel.relay.port())) {
            agent.sendBinary(garbage(1000));
            assertDisconnected(agent);
        }
    }

    @Test
    void garbageInsteadOfHttp2() throws Exception {
        try (RawWebSocket agent = welcomed()) {
            agent.sendBinary(garbage(1000));
            assertDisconnected(agent);
        }
    }

    @Test
    void anHttp2ProtocolViolation() throws Exception {
        try (RawWebSocket agent = welcomed()) {
            agent.sendBinary(SETTINGS).sendBinary(DATA_ON_STREAM_ZERO);
            assertDisconnected(agent);
        }
    }

    @Test
    void aFrameOverTheLimit() throws Exception {
        try (RawWebSocket agent = welcomed()) {
            sendUntilCutOff(() -> {
                agent.sendHeaderOnly(true, RawWebSocket.BINARY, Protocol.MAX_WEBSOCKET_FRAME + 1L);
                agent.output().write(new byte[64 * 1024]); // the start of it; the relay need not read the rest
            });
            assertDisconnected(agent);
        }
    }

    @Test
    void fragmentsAddingUpToAMessageOverTheLimit() throws Exception {
        try (RawWebSocket agent = welcomed()) {
            byte[] quarter = new byte[Protocol.MAX_WEBSOCKET_FRAME / 4];
            sendUntilCutOff(() -> {
                agent.send(false, RawWebSocket.BINARY, quarter);
                for (int i = 0; i < 4; i++) {
                    agent.send(false, RawWebSocket.CONTINUATION, quarter);
                }
                agent.send(true, RawWebSocket.CONTINUATION, quarter);
            });
            assertDisconnected(agent);
        }
    }

    @Test
    void invalidJson() throws Exception {
        try (RawWebSocket agent = RawWebSocket.connect(tunnel.relay.port())) {
            agent.sendText("{\"type\":\"hello\",\"version\":");
            assertDisconnected(agent);
        }
    }

    @Test
    void anUnknownControlMessage() throws Exception {
        try (RawWebSocket agent = RawWebSocket.connect(tunnel.relay.port())) {
            agent.sendText("{\"type\":\"gimme\",\"tunnel\":\"" + tunnel.tunnelId() + "\"}");
            assertDisconnected(agent);
        }
    }

    @Test
    void bindBeforeHello() throws Exception {
        try (RawWebSocket agent = RawWebSocket.connect(tunnel.relay.port())) {
            agent.sendText("{\"type\":\"bind\",\"ref\":1,\"kind\":\"http\"}");
            assertDisconnected(agent);
        }
    }

    @Test
    void aSecondHello() throws Exception {
        try (RawWebSocket agent = welcomed()) {
            agent.sendText(HELLO);
            assertDisconnected(agent);
        }
    }

    @Test
    void aMessageOnlyTheRelaySends() throws Exception {
        try (RawWebSocket agent = welcomed()) {
            agent.sendText("{\"type\":\"bound\",\"ref\":1,\"tunnel\":\"" + tunnel.tunnelId() + "\",\"url\":\"x\"}");
            assertDisconnected(agent);
        }
    }

    @Test
    void aForgedResumeTokenGetsNoTunnel() throws Exception {
        try (RawWebSocket agent = welcomed()) {
            String forged = tunnel.tunnelId() + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(garbage(32));
            agent.sendText("{\"type\":\"bind\",\"ref\":7,\"kind\":\"http\",\"resume\":\"" + forged + "\"}");
            assertThat(agent.readText()).isEqualTo("{\"type\":\"refused\",\"ref\":7,\"message\":\"invalid resume token\"}");
        }
        assertTunnelServes();
    }

    @Test
    void aValidTokenForATunnelAnotherAgentHoldsGetsNoTunnel() throws Exception {
        try (RawWebSocket agent = welcomed()) {
            // the genuine token (as a stolen one would be): still refused while its agent is connected
            String token = tunnel.tunnelId() + "." + mac(tunnel.tunnelId());
            agent.sendText("{\"type\":\"bind\",\"ref\":7,\"kind\":\"http\",\"resume\":\"" + token + "\"}");
            assertThat(agent.readText()).isEqualTo("{\"type\":\"refused\",\"ref\":7,\"message\":\"tunnel "
                                                   + tunnel.tunnelId() + " is held by another agent\"}");
        }
        assertTunnelServes();
        assertThat(origin.requests()).hasSize(2); // both visitors reached the real agent's local server
    }

    /** A raw agent past hello and welcome: what it sends next is read by the relay's HTTP/2 end. */
    private RawWebSocket welcomed() throws Exception {
        RawWebSocket agent = RawWebSocket.connect(tunnel.relay.port());
        agent.sendText(HELLO);
        assertThat(agent.readText()).isEqualTo(ControlMessage.encode(new ControlMessage.Welcome(Protocol.VERSION)));
        return agent;
    }

    private interface Sending {
        void run() throws IOException;
    }

    /**
     * Runs {@code sending}, which goes past a limit: the relay may close as soon as it sees that, while
     * the rest is still on its way, and the write then fails (broken pipe, reset). That is the answer.
     */
    private static void sendUntilCutOff(Sending sending) throws IOException {
        try {
            sending.run();
        } catch (SocketException cutOff) {
            // assertDisconnected says whether it was the relay
        }
    }

    private void assertDisconnected(RawWebSocket agent) throws Exception {
        assertThat(agent.awaitClosedByPeer(DISCONNECTED_WITHIN_MILLIS)).as("the relay closed the bad agent").isTrue();
        assertTunnelServes();
    }

    private void assertTunnelServes() throws Exception {
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("GET " + URI.create(tunnel.url).getPath() + "still HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttpClient.RawResponse response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo("GET /still");
        }
        assertThat(tunnel.relay.tunnelCount()).isEqualTo(1);
    }

    private static byte[] garbage(int length) {
        byte[] bytes = new byte[length];
        new Random(length).nextBytes(bytes);
        return bytes;
    }

    /** The relay's resume token MAC, as ResumeTokens makes it. */
    private static String mac(String id) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(id.getBytes(StandardCharsets.US_ASCII)));
    }
}
