package dev.portsicle.e2e;

import dev.portsicle.relay.PortRange;
import dev.portsicle.testing.Bodies;
import dev.portsicle.testing.TunnelFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** portsicle tcp: raw connections to a local TCP service, with half-close carried both ways. */
class TcpTunnelTest {
    private ServerSocket echo;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private TunnelFixture tunnel;

    @BeforeEach
    void start() throws Exception {
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.execute(() -> {
            while (!echo.isClosed()) {
                try {
                    Socket socket = echo.accept();
                    threads.execute(() -> {
                        try (socket) {
                            socket.getInputStream().transferTo(socket.getOutputStream()); // until our input ends
                        } catch (Exception e) {
                            // visitor gone
                        }
                    });
                } catch (Exception e) {
                    return;
                }
            }
        });
        int free;
        try (ServerSocket probe = new ServerSocket(0)) {
            free = probe.getLocalPort();
        }
        tunnel = TunnelFixture.startTcp(echo.getLocalPort(), new PortRange(free, free));
    }

    @AfterEach
    void stop() throws Exception {
        tunnel.close();
        echo.close();
        threads.shutdownNow();
    }

    @Test
    void theAgentPrintsATcpAddressOnTheRelaysHost() {
        assertThat(tunnel.url).matches("tcp://127\\.0\\.0\\.1:\\d+");
    }

    @Test
    void bytesGoBothWaysAndAHalfCloseReachesTheService() throws Exception {
        URI address = URI.create(tunnel.url);
        byte[] data = Bodies.pattern(4 * 1024 * 1024, 9).readAllBytes();
        try (Socket socket = new Socket(address.getHost(), address.getPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            Future<String> echoed = threads.submit(() -> Bodies.sha256(in)); // reads until the service closes
            out.write(data);
            out.flush();
            socket.shutdownOutput(); // the service sees the end of input, finishes echoing and closes
            assertThat(echoed.get(20, TimeUnit.SECONDS)).isEqualTo(Bodies.sha256(data));
        }
    }

    @Test
    void manyConnectionsAreIndependentStreams() throws Exception {
        URI address = URI.create(tunnel.url);
        Socket[] sockets = new Socket[20];
        try {
            for (int i = 0; i < sockets.length; i++) {
                sockets[i] = new Socket(address.getHost(), address.getPort());
                sockets[i].setSoTimeout(10_000);
            }
            for (int i = sockets.length - 1; i >= 0; i--) {
                byte[] line = ("hello " + i + "\n").getBytes(StandardCharsets.US_ASCII);
                sockets[i].getOutputStream().write(line);
                assertThat(sockets[i].getInputStream().readNBytes(line.length)).isEqualTo(line);
            }
        } finally {
            for (Socket socket : sockets) {
                if (socket != null) {
                    socket.close();
                }
            }
        }
    }

    @Test
    void aServiceThatIsDownClosesTheVisitorConnection() throws Exception {
        echo.close();
        URI address = URI.create(tunnel.url);
        try (Socket socket = new Socket(address.getHost(), address.getPort())) {
            socket.setSoTimeout(10_000);
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
        }
    }
}
