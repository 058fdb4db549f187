package dev.portsicle.cli;

import dev.portsicle.agent.AgentConfig;
import dev.portsicle.net.Cidr;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** What every agent command ({@code http}, {@code tcp}) takes besides its local target. */
final class AgentOptions {
    @Option(names = "--token", defaultValue = "${env:PORTSICLE_TOKEN}", paramLabel = "TOKEN",
            description = "The relay's agent token, if it asks for one (default: $PORTSICLE_TOKEN).")
    String token;

    @Option(names = "--allow-cidr", paramLabel = "CIDR",
            description = "Only visitors from this address block get in, e.g. 203.0.113.0/24 (repeatable).")
    List<String> allowCidrs = new ArrayList<>();

    @Option(names = "--deny-cidr", paramLabel = "CIDR",
            description = "Visitors from this address block are kept out, even if allowed (repeatable).")
    List<String> denyCidrs = new ArrayList<>();

    /** {@code config} with these options; bad input is an {@link IllegalArgumentException} that says so. */
    AgentConfig applyTo(AgentConfig config, String basicAuth) {
        for (String cidr : allowCidrs) {
            Cidr.parse(cidr);
        }
        for (String cidr : denyCidrs) {
            Cidr.parse(cidr);
        }
        if (basicAuth != null) {
            int colon = basicAuth.indexOf(':');
            if (colon < 1 || colon == basicAuth.length() - 1) {
                throw new IllegalArgumentException("--basic-auth takes user:password, both non-empty");
            }
        }
        String trimmedToken = token == null || token.isBlank() ? null : token.trim();
        return config.withToken(trimmedToken)
                .withAccess(new AgentConfig.Access(basicAuth, List.copyOf(allowCidrs), List.copyOf(denyCidrs)));
    }
}
