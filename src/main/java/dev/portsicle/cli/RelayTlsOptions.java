package dev.portsicle.cli;

import dev.portsicle.relay.RelayTls;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** HTTPS and wss:// on the relay's port: the certificate and key, and an optional redirect port. */
final class RelayTlsOptions {
    @Option(names = "--tls-cert", paramLabel = "FULLCHAIN.pem",
            description = "Serve HTTPS and wss:// with this certificate chain (PEM, leaf first); needs --tls-key.")
    Path cert;

    @Option(names = "--tls-key", paramLabel = "KEY.pem",
            description = "The certificate's private key (PEM, PKCS#8 'BEGIN PRIVATE KEY'); needs --tls-cert.")
    Path key;

    @Option(names = "--http-redirect-port", paramLabel = "PORT",
            description = "Also answer plain HTTP on this port with a redirect to https:// (needs --tls-cert).")
    Integer redirectPort;

    /** The relay's TLS, or null for plain HTTP. */
    RelayTls tls() {
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together: give both, or neither");
        }
        if (cert == null) {
            if (redirectPort != null) {
                throw new IllegalArgumentException("--http-redirect-port needs --tls-cert and --tls-key");
            }
            return null;
        }
        if (redirectPort != null) {
            Options.checkPort(redirectPort, "--http-redirect-port");
        }
        return RelayTls.load(cert, key).withRedirectPort(redirectPort);
    }
}
