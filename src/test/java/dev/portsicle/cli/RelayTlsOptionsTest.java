package dev.portsicle.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** portsicle server's TLS options: both files or neither. */
class RelayTlsOptionsTest {
    private static RelayTlsOptions parse(String... args) {
        ServerCommand command = new ServerCommand();
        new CommandLine(command).parseArgs(args);
        return command.tls;
    }

    @Test
    void neitherFileMeansPlainHttp() {
        assertThat(parse().tls()).isNull();
    }

    @Test
    void aCertificateWithoutItsKeyIsRefused() {
        assertThatThrownBy(() -> parse("--tls-cert", "fullchain.pem").tls())
                .hasMessage("--tls-cert and --tls-key go together: give both, or neither");
        assertThatThrownBy(() -> parse("--tls-key", "key.pem").tls())
                .hasMessage("--tls-cert and --tls-key go together: give both, or neither");
    }

    @Test
    void aRedirectPortNeedsTls() {
        assertThatThrownBy(() -> parse("--http-redirect-port", "80").tls())
                .hasMessage("--http-redirect-port needs --tls-cert and --tls-key");
    }
}
