package dev.portsicle.e2e;

import dev.portsicle.testing.TunnelFixture;
import dev.portsicle.testing.WebSocketEchoServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/** WebSocket upgrades (dev servers' hot reload) go through the tunnel as live connections. */
class TunnelWebSocketTest {
    private WebSocketEchoServer local;
    private TunnelFixture tunnel;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        local = new WebSocketEchoServer();
        tunnel = TunnelFixture.start(local.port());
    }

    @AfterEach
    void stop() {
        tunnel.close();
        local.close();
    }

    @Test
    void textAndMultiMegabyteBinaryMessagesEchoThroughAPathModeTunnel() throws Exception {
        Client client = connect(URI.create(tunnel.url.replace("http://", "ws://") + "hmr?token=1"), null);
        assertThat(client.next()).isEqualTo("hello /hmr?token=1");
        client.socket.sendText("ping", true);
        assertThat(client.next()).isEqualTo("ping");
        byte[] big = new byte[3 * 1024 * 1024];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        client.socket.sendBinary(ByteBuffer.wrap(big), true);
        assertThat(client.nextBinary()).isEqualTo(big);
        client.socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
        assertThat(client.closed.get(5, TimeUnit.SECONDS)).isEqualTo(WebSocket.NORMAL_CLOSURE);
    }

    @Test
    void theAbsoluteWsPathOfAPathModePageIsRoutedByTheCookie() throws Exception {
        URI relay = URI.create(tunnel.relayBase().replace("http://", "ws://") + "/ws");
        Client client = connect(relay, "portsicle_tunnel=" + tunnel.tunnelId());
        assertThat(client.next()).isEqualTo("hello /ws");
    }

    @Test
    void hostModeCarriesWebSocketsToo() throws Exception {
        tunnel.close();
        tunnel = TunnelFixture.start(local.port(), relay -> relay.withDomain("tunnel.test"), UnaryOperator.identity());
        URI url = URI.create(tunnel.url);
        // no wildcard DNS here: speak to the relay's address and name the tunnel in Host, as DNS would
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", url.getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET /socket HTTP/1.1\r\nHost: " + url.getHost() + "\r\n"
                    + "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            java.io.InputStream in = socket.getInputStream();
            String head = readHead(in);
            assertThat(head).startsWith("HTTP/1.1 101").containsIgnoringCase("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
            int opcode = in.read() & 0x0f; // server frames are unmasked: opcode, length, payload
            int length = in.read() & 0x7f;
            assertThat(opcode).isEqualTo(1);
            assertThat(new String(in.readNBytes(length), StandardCharsets.UTF_8)).isEqualTo("hello /socket");
        }
    }

    private static String readHead(java.io.InputStream in) throws java.io.IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new java.io.EOFException("closed in the response head: " + head);
            }
            head.append((char) b);
        }
        return head.toString();
    }

    @Test
    void manyConnectionsAtOnceStayIndependent() throws Exception {
        List<Client> clients = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            clients.add(connect(URI.create(tunnel.url.replace("http://", "ws://") + "c" + i), null));
        }
        for (int i = 0; i < clients.size(); i++) {
            assertThat(clients.get(i).next()).isEqualTo("hello /c" + i);
        }
        // the first one stalls (never reads); the others still echo
        for (int i = clients.size() - 1; i >= 1; i--) {
            clients.get(i).socket.sendText("m" + i, true);
            assertThat(clients.get(i).next()).isEqualTo("m" + i);
        }
        for (Client client : clients) {
            client.socket.abort();
        }
    }

    @Test
    void anIdleWebSocketIsNotCutByTheVisitorIdleTimeout() throws Exception {
        tunnel.close();
        tunnel = TunnelFixture.start(local.port(), relay -> relay.withIdleTimeout(java.time.Duration.ofMillis(300)),
                UnaryOperator.identity());
        Client client = connect(URI.create(tunnel.url.replace("http://", "ws://") + "idle"), null);
        assertThat(client.next()).isEqualTo("hello /idle");
        Thread.sleep(1500); // five idle timeouts of quiet: an upgraded connection keeps no such clock
        client.socket.sendText("still here", true);
        assertThat(client.next()).isEqualTo("still here");
    }

    @Test
    void upgradeHeadersReachTheLocalServerAsSentAndARefusalComesBackAsItsAnswer() throws Exception {
        try (dev.portsicle.testing.Origin origin = dev.portsicle.testing.Origin.start()) {
            origin.handle((request, response) -> response.status(426, "Upgrade Required")
                    .header("Sec-WebSocket-Version", "13").body("use version 13"));
            tunnel.close();
            tunnel = TunnelFixture.start(origin.port());
            try (dev.portsicle.testing.RawHttpClient client = dev.portsicle.testing.RawHttpClient.to(tunnel.url)) {
                client.send("GET /" + tunnel.tunnelId() + "/ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\n"
                            + "Upgrade: websocket\r\nSec-WebSocket-Version: 8\r\n"
                            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                            + "Sec-WebSocket-Protocol: vite-hmr, graphql-ws\r\n"
                            + "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n");
                dev.portsicle.testing.RawHttpClient.RawResponse refused = client.read();
                assertThat(refused.status()).isEqualTo(426);
                assertThat(refused.bodyText()).isEqualTo("use version 13");
                // not upgraded: the same connection carries the next request
                client.send("GET /" + tunnel.tunnelId() + "/again HTTP/1.1\r\nHost: h\r\n\r\n");
                assertThat(client.read().status()).isEqualTo(426);
            }
            dev.portsicle.testing.Origin.Request upgrade = origin.awaitRequests(1, java.time.Duration.ofSeconds(5)).get(0);
            assertThat(upgrade.header("Upgrade")).isEqualTo("websocket");
            assertThat(upgrade.header("Connection")).isEqualToIgnoringCase("upgrade");
            assertThat(upgrade.header("Sec-WebSocket-Protocol")).isEqualTo("vite-hmr, graphql-ws");
            assertThat(upgrade.header("Sec-WebSocket-Extensions"))
                    .isEqualTo("permessage-deflate; client_max_window_bits");
        }
    }

    private Client connect(URI uri, String cookie) throws Exception {
        Client client = new Client();
        WebSocket.Builder builder = http.newWebSocketBuilder();
        if (cookie != null) {
            builder.header("Cookie", cookie);
        }
        client.socket = builder.buildAsync(uri, client).get(10, TimeUnit.SECONDS);
        return client;
    }

    /** Collects what the server sends; every wait has a deadline. */
    private static final class Client implements WebSocket.Listener {
        WebSocket socket;
        final LinkedBlockingQueue<Object> messages = new LinkedBlockingQueue<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        private StringBuilder text = new StringBuilder();
        private java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                messages.add(text.toString());
                text = new StringBuilder();
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            byte[] bytes = new byte[data.remaining()];
            data.get(bytes);
            binary.writeBytes(bytes);
            if (last) {
                messages.add(binary.toByteArray());
                binary = new java.io.ByteArrayOutputStream();
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        String next() throws InterruptedException {
            Object message = messages.poll(10, TimeUnit.SECONDS);
            assertThat(message).as("a message within 10 s").isInstanceOf(String.class);
            return (String) message;
        }

        byte[] nextBinary() throws InterruptedException {
            Object message = messages.poll(10, TimeUnit.SECONDS);
            assertThat(message).as("a binary message within 10 s").isInstanceOf(byte[].class);
            return (byte[]) message;
        }
    }
}
