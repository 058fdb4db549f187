package dev.portsicle.relay;

import dev.portsicle.net.Transport;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;

/** What every connection of one relay shares. */
record RelayContext(RelayConfig config, TunnelRegistry tunnels, ResumeTokens resumeTokens, Router router,
                    EventLoopGroup group, LoopAffinity affinity, Transport transport, InFlight inFlight,
                    ChannelGroup visitors) {
}
