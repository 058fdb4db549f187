package dev.portsicle.relay;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.concurrent.Future;

/** One public name, bound by an agent's session; visitor exchanges become streams of that session. */
final class Tunnel {
    private final String id;
    private final String kind;
    private final String url;
    private final AgentSession session;

    Tunnel(String id, String kind, String url, AgentSession session) {
        this.id = id;
        this.kind = kind;
        this.url = url;
        this.session = session;
    }

    String id() {
        return id;
    }

    String kind() {
        return kind;
    }

    String url() {
        return url;
    }

    AgentSession session() {
        return session;
    }

    /** Opens a stream to the agent; {@code handler} initializes its pipeline. */
    Future<Http2StreamChannel> openStream(ChannelHandler handler) {
        return new Http2StreamChannelBootstrap(session.channel())
                .option(ChannelOption.AUTO_READ, false)
                .handler(handler)
                .open();
    }
}
