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
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
                    if (echo.isClosed()) {
                        socket.close(); // a connection that raced with close(): the service is down
                        return;
                    }
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
    void megabytesGoBothWaysConcurrently() throws Exception {
        URI address = URI.create(tunnel.url);
        byte[] data = Bodies.pattern(4 * 1024 * 1024, 9).readAllBytes();
        try (Socket socket = new Socket(address.getHost(), address.getPort())) {
            socket.setSoTimeout(10_000);
            InputStream in = socket.getInputStream();
            Future<byte[]> echoed = threads.submit(() -> in.readNBytes(data.length));
            socket.getOutputStream().write(data);
            byte[] back = echoed.get(20, TimeUnit.SECONDS);
            assertThat(back.length).isEqualTo(data.length);
            assertThat(Bodies.sha256(back)).isEqualTo(Bodies.sha256(data));
        }
    }

    @Test
    void aHalfCloseReachesTheServiceAndItsAnswerStillComesBack() throws Exception {
        URI address = URI.create(tunnel.url);
        byte[] data = Bodies.pattern(64 * 1024, 10).readAllBytes();
        try (Socket socket = new Socket(address.getHost(), address.getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(data);
            socket.shutdownOutput(); // the service sees the end of input, finishes echoing and closes
            assertThat(Bodies.sha256(socket.getInputStream().readAllBytes())).isEqualTo(Bodies.sha256(data));
        }
    }

    @Test
    void megabytesEchoedAfterAHalfCloseAllComeBack() throws Exception {
        URI address = URI.create(tunnel.url);
        byte[] data = Bodies.pattern(4 * 1024 * 1024, 11).readAllBytes();
        try (Socket socket = new Socket(address.getHost(), address.getPort())) {
            socket.setSoTimeout(10_000);
            InputStream in = socket.getInputStream();
            Future<byte[]> echoed = threads.submit(in::readAllBytes); // reads until the service closes
            socket.getOutputStream().write(data);
            socket.shutdownOutput();
            byte[] back = echoed.get(20, TimeUnit.SECONDS);
            assertThat(back.length).isEqualTo(data.length);
            assertThat(Bodies.sha256(back)).isEqualTo(Bodies.sha256(data));
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
    void aRealRedisServerWorksThroughTheTunnelWithItsOwnClient() throws Exception {
        assumeTrue(new java.io.File("/usr/bin/redis-server").canExecute(),
                "redis-server is not installed (.ci/run installs it): the real-service TCP check did not run");
        int redisPort;
        try (ServerSocket probe = new ServerSocket(0)) {
            redisPort = probe.getLocalPort();
        }
        Process redis = new ProcessBuilder("redis-server", "--port", Integer.toString(redisPort), "--bind",
                "127.0.0.1", "--save", "", "--appendonly", "no").redirectErrorStream(true)
                .redirectOutput(new java.io.File("target/redis.log")).start();
        int free;
        try (ServerSocket probe = new ServerSocket(0)) {
            free = probe.getLocalPort();
        }
        try (TunnelFixture redisTunnel = TunnelFixture.startTcp(redisPort, new PortRange(free, free))) {
            URI address = URI.create(redisTunnel.url);
            String value = "x".repeat(100_000);
            assertThat(redisCli(address, "SET", "portsicle", value)).isEqualTo("OK");
            assertThat(redisCli(address, "GET", "portsicle")).isEqualTo(value);
            assertThat(redisCli(address, "PING")).isEqualTo("PONG");
        } finally {
            redis.destroy();
            redis.waitFor(5, TimeUnit.SECONDS);
        }
    }

    /** redis-cli against the public address; retried briefly while redis-server is still starting. */
    private static String redisCli(URI address, String... args) throws Exception {
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("redis-cli", "-h",
                address.getHost(), "-p", Integer.toString(address.getPort())));
        command.addAll(java.util.List.of(args));
        String output = "";
        for (int attempt = 0; attempt < 50; attempt++) {
            Process cli = new ProcessBuilder(command).redirectErrorStream(true).start();
            output = new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (cli.waitFor(10, TimeUnit.SECONDS) && cli.exitValue() == 0 && !output.contains("LOADING")
                    && !output.startsWith("Error")) {
                return output;
            }
            Thread.sleep(100);
        }
        return output;
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
