package dev.portsicle.e2e;

import dev.portsicle.testing.Origin;
import dev.portsicle.testing.RawHttpClient;
import dev.portsicle.testing.Streams;
import dev.portsicle.testing.TunnelFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/** Responses that stay open: event streams arrive as they are sent; only idle connections are closed. */
class TunnelLiveResponsesTest {
    private Origin origin;
    private TunnelFixture tunnel;

    @AfterEach
    void stop() throws Exception {
        tunnel.close();
        if (origin != null) {
            origin.close();
        }
    }

    @Test
    void eventStreamEventsArriveAsTheyAreSentWithNoBuffering() throws Exception {
        CountDownLatch firstSeen = new CountDownLatch(1);
        origin = Origin.start();
        origin.handle((request, response) -> {
            response.status(200).header("Content-Type", "text/event-stream").header("Cache-Control", "no-cache");
            Origin.Chunked events = response.chunked();
            events.write("data: one\n\n");
            // the second event is sent only once the visitor has the first: buffering anywhere would hang here
            if (!firstSeen.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("the first event never reached the visitor");
            }
            events.write("data: two\n\n");
            events.end();
        });
        tunnel = TunnelFixture.start(origin.port());
        URI url = URI.create(tunnel.url);
        try (Socket socket = new Socket(url.getHost(), url.getPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + url.getPath() + "events HTTP/1.1\r\nHost: h\r\nAccept: text/event-stream\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = socket.getInputStream();
            long start = System.nanoTime();
            String seen = Streams.readUntil(in, "data: one");
            System.out.printf("first event after %.1f ms%n", (System.nanoTime() - start) / 1e6);
            assertThat(seen).contains("text/event-stream");
            firstSeen.countDown();
            assertThat(Streams.readUntil(in, "data: two")).contains("data: two");
        }
    }

    @Test
    void aVisitorWhoLeavesALongPollFreesTheLocalServerAtOnce() throws Exception {
        try (ServerSocket local = rawLocalServer(); RawHttpClient visitor = RawHttpClient.to(tunnel.url)) {
            visitor.send("GET /" + tunnel.tunnelId() + "/poll HTTP/1.1\r\nHost: h\r\n\r\n");
            try (Socket held = accept(local)) {
                Streams.readUntil(held.getInputStream(), "\r\n\r\n"); // the request is here; no answer: a long poll
                visitor.close();
                long left = System.nanoTime();
                // the relay sees the visitor go although it has nothing to write, resets the stream, and the
                // agent closes the local connection: nothing waits for an answer nobody will read
                assertThat(held.getInputStream().read()).as("end of the local connection").isEqualTo(-1);
                System.out.printf("local connection closed %.1f ms after the visitor left%n",
                        (System.nanoTime() - left) / 1e6);
            }
        }
    }

    @Test
    void aVisitorWhoLeavesAnUpgradedConnectionItStoppedReadingFreesTheLocalServer() throws Exception {
        try (ServerSocket local = rawLocalServer(); RawHttpClient visitor = RawHttpClient.to(tunnel.url);
             Socket held = upgrade(visitor, local)) {
            // The local server writes far more than the stream's window and the sockets hold while the
            // visitor reads nothing, so relay and agent both wait on it; then the visitor leaves.
            CompletableFuture<Long> writer = CompletableFuture.supplyAsync(() -> {
                byte[] chunk = new byte[64 * 1024];
                long written = 0;
                try {
                    while (written < 1L << 30) {
                        held.getOutputStream().write(chunk);
                        written += chunk.length;
                    }
                } catch (IOException e) {
                    return written; // the agent closed the local connection
                }
                return -1L;
            });
            Thread.sleep(1000);
            assertThat(writer).as("the local server is held up by the visitor").isNotDone();
            visitor.close();
            assertThat(writer.get(10, TimeUnit.SECONDS)).as("bytes written before the connection closed")
                    .isPositive();
        }
    }

    @Test
    void aVisitorWhoLeavesAnUpgradedConnectionEndsItsStreamThoughTheLocalServerStaysSilent() throws Exception {
        try (ServerSocket local = rawLocalServer(); RawHttpClient visitor = RawHttpClient.to(tunnel.url);
             Socket held = upgrade(visitor, local)) {
            visitor.close();
            assertThat(held.getInputStream().read()).as("end of the visitor's bytes").isEqualTo(-1);
            // The local server keeps its side open and says nothing. The visitor is gone, so the relay
            // ends the stream both ways rather than waiting on it: no stream is left in flight.
            assertThat(tunnel.agent.drain(Duration.ofSeconds(5))).as("every stream finished").isTrue();
        }
    }

    /** The visitor asks for a WebSocket and the local server (its connection returned) switches protocols. */
    private Socket upgrade(RawHttpClient visitor, ServerSocket local) throws IOException {
        visitor.send("GET /" + tunnel.tunnelId() + "/live HTTP/1.1\r\nHost: h\r\n"
                + "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
        Socket held = accept(local);
        Streams.readUntil(held.getInputStream(), "\r\n\r\n");
        held.getOutputStream().write(("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                + "Upgrade: websocket\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        assertThat(visitor.readHead().status()).isEqualTo(101);
        return held;
    }

    /** A local server the test plays byte by byte, with a tunnel to it. */
    private ServerSocket rawLocalServer() throws Exception {
        ServerSocket local = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        local.setSoTimeout(10_000); // for accept
        tunnel = TunnelFixture.start(local.getLocalPort());
        return local;
    }

    /** The agent's connection to {@code local}, with reads that give up after 10 s instead of hanging. */
    private static Socket accept(ServerSocket local) throws IOException {
        Socket held = local.accept();
        held.setSoTimeout(10_000);
        return held;
    }

    @Test
    void idleKeepAliveConnectionsCloseButALongRequestIsNotCutOff() throws Exception {
        origin = Origin.start();
        origin.handle((request, response) -> {
            if (request.target().equals("/slow")) {
                Thread.sleep(3000);
            }
            response.status(200).body("done");
        });
        tunnel = TunnelFixture.start(origin.port(), relay -> relay.withIdleTimeout(Duration.ofSeconds(1)),
                UnaryOperator.identity());
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("GET /" + tunnel.tunnelId() + "/slow HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThat(client.read().bodyText()).isEqualTo("done"); // 3 s in flight, idle timeout 1 s
            assertThat(client.closedByPeer()).as("idle keep-alive connection closed").isTrue();
        }
    }
}
