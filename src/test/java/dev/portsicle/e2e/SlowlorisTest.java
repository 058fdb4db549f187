package dev.portsicle.e2e;

import dev.portsicle.testing.Bodies;
import dev.portsicle.testing.Origin;
import dev.portsicle.testing.RawHttpClient;
import dev.portsicle.testing.RawHttpClient.RawResponse;
import dev.portsicle.testing.TunnelFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The header timeout (here 1 s; 30 s by default): a request head must arrive whole within it, so a
 * visitor dribbling a head byte by byte, or connecting and saying nothing, is closed; a keep-alive
 * connection between requests, a slow body and the agent's own session are not its business.
 */
class SlowlorisTest {
    private static final Duration HEADER_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration SLACK = Duration.ofSeconds(2);

    private Origin origin;
    private TunnelFixture tunnel;
    private URI url;

    @BeforeEach
    void start() throws Exception {
        origin = Origin.start();
        tunnel = TunnelFixture.start(origin.port(), config -> config.withHeaderTimeout(HEADER_TIMEOUT),
                UnaryOperator.identity());
        url = URI.create(tunnel.url);
    }

    @AfterEach
    void stop() throws Exception {
        tunnel.close();
        origin.close();
    }

    @Test
    void aHeadSentOneByteAtATimeIsCutOffWith408() throws Exception {
        byte[] head = ("GET " + url.getPath() + " HTTP/1.1\r\nHost: h\r\nX-Slow: " + "x".repeat(100) + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        try (Socket socket = new Socket(url.getHost(), url.getPort())) {
            socket.setSoTimeout(250); // one byte every 250 ms: never idle, never done
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            long start = System.nanoTime();
            int sent = 0;
            int first = -1;
            while (sent < head.length && first < 0) {
                out.write(head[sent++]);
                out.flush();
                try {
                    first = in.read();
                } catch (SocketTimeoutException e) {
                    // nothing yet: the next byte
                }
            }
            assertThat(sent).as("cut off before the head was complete").isLessThan(head.length);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(HEADER_TIMEOUT, HEADER_TIMEOUT.plus(SLACK));
            socket.setSoTimeout(5_000);
            String answer = (char) first + new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(answer).startsWith("HTTP/1.1 408 Request Timeout\r\n").contains("X-Portsicle-Error: 408\r\n")
                    .contains("connection: close\r\n");
        }
        assertThat(origin.requests()).isEmpty();
    }

    @Test
    void aConnectionThatNeverSendsARequestIsClosed() throws Exception {
        try (Socket socket = new Socket(url.getHost(), url.getPort())) {
            socket.setSoTimeout((int) HEADER_TIMEOUT.plus(SLACK).toMillis());
            long start = System.nanoTime();
            assertThat(socket.getInputStream().read()).as("closed without a word").isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(HEADER_TIMEOUT);
        }
    }

    @Test
    void aKeepAliveConnectionBetweenRequestsAndASlowBodyAreNotCutOff() throws Exception {
        try (RawHttpClient client = RawHttpClient.to(tunnel.url)) {
            client.send("GET " + url.getPath() + "one HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
            Thread.sleep(HEADER_TIMEOUT.multipliedBy(3).toMillis() / 2); // idle longer than the header timeout

            long length = 64 * 1024; // at 16 KiB/s: a body that takes 4 header timeouts
            client.send("POST " + url.getPath() + "two HTTP/1.1\r\nHost: h\r\nContent-Length: " + length + "\r\n\r\n");
            client.send(Bodies.pattern(length, 3), 16 * 1024);
            RawResponse second = client.read();
            assertThat(second.status()).isEqualTo(200);
            assertThat(second.bodyText()).isEqualTo("POST /two");
        }
        assertThat(tunnel.relay.tunnelCount()).as("the agent's session, an upgraded connection, lives on").isEqualTo(1);
        assertThat(origin.requests()).hasSize(2);
    }
}
