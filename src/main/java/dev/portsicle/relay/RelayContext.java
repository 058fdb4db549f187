package dev.portsicle.relay;

/** What every connection of one relay shares. */
record RelayContext(RelayConfig config, TunnelRegistry tunnels, ResumeTokens resumeTokens, Router router) {
}
