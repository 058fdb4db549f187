package dev.portsicle.cli;

import dev.portsicle.agent.RelayTrust;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** How an agent command checks the relay's certificate on https:// and wss:// relay URLs. */
final class RelayTrustOptions {
    @Option(names = "--ca", paramLabel = "FILE",
            description = "Also trust this CA (PEM) for the relay's certificate, e.g. a private CA "
                          + "(default: the system's trusted CAs only).")
    Path ca;

    @Option(names = "--insecure",
            description = "Do not check the relay's certificate. For local testing only: anyone on the way "
                          + "can then read and change the tunnel's traffic.")
    boolean insecure;

    RelayTrust trust() {
        RelayTrust trust = new RelayTrust(ca, insecure);
        if (insecure) {
            System.err.println("portsicle: WARNING: --insecure: the relay's certificate is not checked, so anyone "
                               + "between you and the relay can read and change this tunnel's traffic");
        }
        return trust;
    }
}
