package dev.portsicle.relay;

import dev.portsicle.protocol.StreamHeaders;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.concurrent.Future;

import java.util.concurrent.atomic.AtomicInteger;

/** One public name, bound by an agent's session; visitor exchanges become streams of that session. */
final class Tunnel {
    private final String id;
    private final String kind;
    private volatile String url;
    private final AgentSession session;
    private final Access access;
    private final int maxStreams;
    private final AtomicInteger streams = new AtomicInteger();
    private Channel listener;

    /**
     * {@code maxStreams}: visitor exchanges, streams parked between keep-alive requests, and TCP
     * connections it carries at once. At the limit a parked stream gives its place to a new one; with none
     * parked, the new one is refused.
     */
    Tunnel(String id, String kind, AgentSession session, Access access, int maxStreams) {
        this.id = id;
        this.kind = kind;
        this.session = session;
        this.access = access;
        this.maxStreams = maxStreams;
    }

    /** Who may reach it, as its agent asked. */
    Access access() {
        return access;
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

    /** Where visitors reach it: known at once for http, once its port listens for tcp. */
    void publishedAt(String url) {
        this.url = url;
    }

    AgentSession session() {
        return session;
    }

    boolean isHttp() {
        return StreamHeaders.KIND_HTTP.equals(kind);
    }

    /** A tcp tunnel's public port, once it listens there. */
    void listenOn(Channel listener) {
        this.listener = listener;
    }

    /** The tunnel is gone: its public port, if any, closes. */
    void close() {
        if (listener != null) {
            listener.close();
        }
    }

    /**
     * Opens a stream to the agent; {@code handler} initializes its pipeline. Fails, saying why, when the
     * tunnel already carries its most streams.
     */
    Future<Http2StreamChannel> openStream(ChannelHandler handler) {
        Channel sessionChannel = session.channel();
        // An idle keep-alive connection's stream makes way, as a pool drops an idle connection: its close
        // gives back the place it held (on the session's loop, before this open runs there).
        if (streams.incrementAndGet() > maxStreams && !session.evictKept(this)) {
            streams.decrementAndGet();
            return sessionChannel.eventLoop().newFailedFuture(new IllegalStateException(
                    "it already carries " + maxStreams + (maxStreams == 1 ? " stream" : " streams")
                    + " at once, the most its relay allows"));
        }
        Future<Http2StreamChannel> opened = new Http2StreamChannelBootstrap(sessionChannel)
                .option(ChannelOption.AUTO_READ, false)
                .handler(handler)
                .open();
        opened.addListener(f -> {
            if (f.isSuccess()) {
                opened.getNow().closeFuture().addListener(closed -> streams.decrementAndGet());
            } else {
                streams.decrementAndGet();
            }
        });
        return opened;
    }
}
