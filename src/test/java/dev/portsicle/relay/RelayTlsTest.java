package dev.portsicle.relay;

import dev.portsicle.testing.TestPki;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Certificate and key files that cannot serve stop the relay at start, with a message saying why. */
class RelayTlsTest {
    @TempDir
    static Path dir;
    private static TestPki.Issued server;
    private static TestPki.Issued other;

    @BeforeAll
    static void makeCertificates() throws Exception {
        TestPki pki = TestPki.create(dir, "Portsicle test CA");
        server = pki.issueForLoopback("EC");
        other = pki.issueForLoopback("EC");
    }

    @Test
    void aMatchingChainAndKeyLoad() {
        assertThat(RelayTls.load(server.chain(), server.key()).context().isServer()).isTrue();
    }

    @Test
    void aMissingFileIsNamed() {
        Path missing = dir.resolve("missing.pem");
        assertThatThrownBy(() -> RelayTls.load(missing, server.key()))
                .hasMessage("the TLS certificate " + missing + " does not exist");
    }

    @Test
    void aFileWithoutCertificatesIsRefused() throws Exception {
        Path notPem = Files.writeString(dir.resolve("not.pem"), "hello\n");
        assertThatThrownBy(() -> RelayTls.load(notPem, server.key()))
                .hasMessage("the TLS certificate " + notPem + " holds no PEM certificate ('-----BEGIN CERTIFICATE-----')");
    }

    @Test
    void aKeyInAnotherPemFormGetsTheCommandToConvertIt() throws Exception {
        Path sec1 = Files.writeString(dir.resolve("sec1.key"),
                "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n");
        assertThatThrownBy(() -> RelayTls.load(server.chain(), sec1))
                .hasMessage("the TLS private key " + sec1 + " is not an unencrypted PKCS#8 PEM key "
                            + "('-----BEGIN PRIVATE KEY-----'); convert it with: openssl pkcs8 -topk8 -nocrypt -in "
                            + sec1 + " -out key.pem");
    }

    @Test
    void theKeyOfAnotherCertificateIsRefused() {
        assertThatThrownBy(() -> RelayTls.load(server.chain(), other.key()))
                .hasMessage("the TLS private key " + other.key() + " does not belong to the first certificate in "
                            + server.chain());
    }
}
