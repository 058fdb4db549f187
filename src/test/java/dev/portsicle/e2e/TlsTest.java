package dev.portsicle.e2e;

import dev.portsicle.agent.Agent;
import dev.portsicle.agent.AgentConfig;
import dev.portsicle.agent.RelayTrust;
import dev.portsicle.relay.PortRange;
import dev.portsicle.relay.Relay;
import dev.portsicle.relay.RelayConfig;
import dev.portsicle.relay.RelayTls;
import dev.portsicle.testing.Conditions;
import dev.portsicle.testing.Origin;
import dev.portsicle.testing.RawHttpClient;
import dev.portsicle.testing.RawHttpClient.RawResponse;
import dev.portsicle.testing.TestPki;
import org.bouncycastle.asn1.x509.GeneralName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A relay with --tls-cert/--tls-key: agents dial it over wss:// and check its certificate (system trust,
 * --ca, --insecure), visitors get HTTPS with TLS 1.2 or 1.3, modern ciphers and ALPN http/1.1 only.
 * The CAs and certificates are made for this run (see {@link TestPki}).
 */
class TlsTest {
    @TempDir
    static Path dir;
    private static TestPki pki;
    private static TestPki otherPki;
    private static TestPki.Issued loopback;

    private Origin origin;
    private Relay relay;
    private Agent agent;

    @BeforeAll
    static void makeCertificates() throws Exception {
        pki = TestPki.create(dir, "Portsicle test CA");
        otherPki = TestPki.create(dir, "Some other CA");
        loopback = pki.issueForLoopback("EC");
    }

    @BeforeEach
    void start() throws Exception {
        origin = Origin.start();
    }

    @AfterEach
    void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (relay != null) {
            relay.close();
        }
        origin.close();
    }

    private void startRelay(TestPki.Issued certificate, UnaryOperator<RelayConfig> more) throws Exception {
        relay = Relay.start(more.apply(RelayConfig.defaults().withBind("127.0.0.1", 0)
                .withTls(RelayTls.load(certificate.chain(), certificate.key()))));
    }

    private Agent startAgent(RelayTrust trust) throws Exception {
        agent = Agent.start(AgentConfig.http(URI.create("wss://127.0.0.1:" + relay.port()), "127.0.0.1", origin.port())
                .withTrust(trust));
        return agent;
    }

    /** The agent's definite refusal, once it has stopped by itself (a retrying agent never would). */
    private String refusal() throws Exception {
        String reason = agent.stopped().get(10, TimeUnit.SECONDS);
        assertThatThrownBy(() -> agent.publicUrl().get()).isInstanceOf(ExecutionException.class)
                .hasMessageContaining(reason);
        assertThat(relay.tunnelCount()).isZero();
        return reason;
    }

    @Test
    void anAgentTrustingThePrivateCaGetsAnHttpsUrlThatServesVisitors() throws Exception {
        startRelay(loopback, UnaryOperator.identity());
        String url = startAgent(new RelayTrust(pki.caPem(), false)).publicUrl().get(10, TimeUnit.SECONDS);
        assertThat(url).startsWith("https://127.0.0.1:" + relay.port() + "/");

        String path = URI.create(url).getPath();
        try (RawHttpClient visitor = new RawHttpClient(pki.connect(relay.port()))) {
            visitor.send("GET " + path + "page?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            RawResponse response = visitor.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo("GET /page?x=1");
        }
        assertThat(origin.requests().get(0).header("X-Forwarded-Proto")).isEqualTo("https");
    }

    @Test
    void anAgentTrustingAnotherCaIsRefusedAndStops() throws Exception {
        startRelay(loopback, UnaryOperator.identity());
        startAgent(new RelayTrust(otherPki.caPem(), false));
        assertThat(refusal()).isEqualTo("relay certificate not trusted: CN=127.0.0.1, issued by "
                                        + "CN=Portsicle test CA (use --ca FILE for a private CA)");
    }

    @Test
    void anAgentWithOnlyTheSystemTrustIsRefusedByAPrivateCertificate() throws Exception {
        startRelay(loopback, UnaryOperator.identity());
        startAgent(RelayTrust.SYSTEM);
        assertThat(refusal()).startsWith("relay certificate not trusted: CN=127.0.0.1");
    }

    @Test
    void anAgentDiallingWssToARelayWithoutTlsIsToldSoAndStops() throws Exception {
        relay = Relay.start(RelayConfig.defaults().withBind("127.0.0.1", 0));
        startAgent(new RelayTrust(pki.caPem(), false));
        assertThat(refusal()).isEqualTo("the relay at 127.0.0.1:" + relay.port() + " does not speak TLS (it answered "
                                        + "in plain text): use http:// (or ws://) for a relay without TLS");
    }

    @Test
    void anAgentDiallingPlainHttpToATlsRelaySaysWhatItMayMean() throws Exception {
        startRelay(loopback, UnaryOperator.identity());
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream err = System.err;
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8)); // slf4j-simple writes to System.err as it is then
        try {
            agent = Agent.start(AgentConfig.http(URI.create("http://127.0.0.1:" + relay.port()), "127.0.0.1", origin.port()));
            String expected = "the relay at 127.0.0.1:" + relay.port() + " closed the connection during the WebSocket "
                              + "handshake (a relay with TLS needs https:// or wss://)";
            Conditions.await("the agent's log says: " + expected, Duration.ofSeconds(10),
                    () -> log.toString(StandardCharsets.UTF_8).contains(expected));
        } finally {
            System.setErr(err);
        }
        assertThat(agent.publicUrl()).isNotDone(); // it goes on trying: the relay may be restarting
    }

    @Test
    void aCertificateForAnotherNameIsRefused() throws Exception {
        startRelay(pki.issue("EC", "localhost", new GeneralName(GeneralName.dNSName, "localhost")), UnaryOperator.identity());
        startAgent(new RelayTrust(pki.caPem(), false));
        assertThat(refusal()).isEqualTo("relay certificate is not valid for 127.0.0.1: it names localhost");
    }

    @Test
    void anInsecureAgentTakesAnyCertificate() throws Exception {
        startRelay(pki.issue("EC", "localhost", new GeneralName(GeneralName.dNSName, "localhost")), UnaryOperator.identity());
        String url = startAgent(new RelayTrust(null, true)).publicUrl().get(10, TimeUnit.SECONDS);
        try (RawHttpClient visitor = new RawHttpClient(pki.connect(relay.port()))) {
            visitor.send("GET " + URI.create(url).getPath() + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
            assertThat(visitor.read().status()).isEqualTo(200);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.2", "TLSv1.3"})
    void visitorsGetTls12And13WithAlpnHttp11(String protocol) throws Exception {
        startRelay(loopback, UnaryOperator.identity());
        try (SSLSocket socket = pki.connect(relay.port(), protocol)) {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setApplicationProtocols(new String[] {"h2", "http/1.1"});
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            assertThat(socket.getSession().getProtocol()).isEqualTo(protocol);
            assertThat(socket.getApplicationProtocol()).isEqualTo("http/1.1");
            RawHttpClient visitor = new RawHttpClient(socket);
            visitor.send("GET /nothing-here/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            assertThat(visitor.read().status()).isEqualTo(404);
        }
    }

    /** Suites the JDK and Netty's defaults would still serve with an RSA certificate: only our policy refuses them. */
    @ParameterizedTest
    @ValueSource(strings = {"TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"})
    void tls12WithoutForwardSecrecyOrAeadIsRefused(String cipherSuite) throws Exception {
        startRelay(pki.issueForLoopback("RSA"), UnaryOperator.identity());
        try (SSLSocket socket = pki.connect(relay.port(), "TLSv1.2")) {
            socket.setEnabledCipherSuites(new String[] {cipherSuite});
            assertThatThrownBy(socket::startHandshake).isInstanceOf(SSLHandshakeException.class);
        }
        try (SSLSocket socket = pki.connect(relay.port(), "TLSv1.2")) { // the same certificate, a modern suite
            socket.setEnabledCipherSuites(new String[] {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"});
            socket.startHandshake();
            assertThat(socket.getSession().getCipherSuite()).isEqualTo("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
        }
    }

    /**
     * The JDK's own clients cannot offer TLS 1.1 any more, so this one is written by hand: a TLS 1.1
     * ClientHello with ECDHE and plain RSA suites. The relay must answer with a protocol_version alert.
     */
    @Test
    void tls11IsRefused() throws Exception {
        startRelay(loopback, UnaryOperator.identity());
        try (Socket socket = new Socket("127.0.0.1", relay.port())) {
            socket.setSoTimeout(RawHttpClient.DEFAULT_TIMEOUT_MILLIS);
            socket.getOutputStream().write(tls11ClientHello());
            InputStream in = socket.getInputStream();
            byte[] alert = in.readNBytes(7);
            assertThat(alert[0]).as("record type: alert").isEqualTo((byte) 0x15);
            assertThat(alert[5]).as("alert level: fatal").isEqualTo((byte) 2);
            assertThat(alert[6]).as("alert: protocol_version").isEqualTo((byte) 70);
        }
    }

    private static byte[] tls11ClientHello() {
        ByteBuffer hello = ByteBuffer.allocate(72);
        hello.put(new byte[] {0x16, 0x03, 0x01, 0x00, 0x43});         // record: handshake, TLS 1.0 framing, 67 bytes
        hello.put(new byte[] {0x01, 0x00, 0x00, 0x3f});               // ClientHello, 63 bytes
        hello.put(new byte[] {0x03, 0x02});                           // client_version: TLS 1.1
        hello.put(new byte[32]);                                      // random
        hello.put((byte) 0);                                          // no session id
        hello.put(new byte[] {0x00, 0x08, (byte) 0xc0, 0x09, (byte) 0xc0, 0x13, 0x00, 0x2f, 0x00, (byte) 0xff});
        // cipher suites: ECDHE-ECDSA-AES128-SHA, ECDHE-RSA-AES128-SHA, AES128-SHA, renegotiation SCSV
        hello.put(new byte[] {0x01, 0x00});                           // compression: null only
        hello.put(new byte[] {0x00, 0x0e});                           // extensions, 14 bytes:
        hello.put(new byte[] {0x00, 0x0a, 0x00, 0x04, 0x00, 0x02, 0x00, 0x17}); // supported_groups: secp256r1
        hello.put(new byte[] {0x00, 0x0b, 0x00, 0x02, 0x01, 0x00});   // ec_point_formats: uncompressed
        return hello.array();
    }

    @Test
    void thePlainHttpPortRedirectsToHttps() throws Exception {
        try (ServerSocket free = new ServerSocket(0)) {
            int redirectPort = free.getLocalPort();
            free.close();
            relay = Relay.start(RelayConfig.defaults().withBind("127.0.0.1", 0)
                    .withTls(RelayTls.load(loopback.chain(), loopback.key()).withRedirectPort(redirectPort)));
        }
        try (RawHttpClient visitor = new RawHttpClient("127.0.0.1", relay.redirectPort())) {
            visitor.send("GET /abc/page?x=1 HTTP/1.1\r\nHost: 127.0.0.1:" + relay.redirectPort() + "\r\n\r\n");
            RawResponse response = visitor.read();
            assertThat(response.status()).isEqualTo(308);
            assertThat(response.header("Location")).isEqualTo("https://127.0.0.1:" + relay.port() + "/abc/page?x=1");
            assertThat(visitor.closedByPeer()).isTrue();
        }
    }

    @Test
    void tcpTunnelsOfATlsRelayStayPlainTcp() throws Exception {
        int free;
        try (ServerSocket probe = new ServerSocket(0)) {
            free = probe.getLocalPort();
        }
        startRelay(loopback, config -> config.withTcpPorts(new PortRange(free, free)));
        agent = Agent.start(AgentConfig.tcp(URI.create("wss://127.0.0.1:" + relay.port()), "127.0.0.1", origin.port())
                .withTrust(new RelayTrust(pki.caPem(), false)));
        assertThat(agent.publicUrl().get(10, TimeUnit.SECONDS)).isEqualTo("tcp://127.0.0.1:" + free);
        try (RawHttpClient visitor = new RawHttpClient("127.0.0.1", free)) { // plain bytes to the origin
            visitor.send("GET /plain HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            assertThat(visitor.read().bodyText()).isEqualTo("GET /plain");
        }
    }
}
