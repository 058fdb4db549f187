package dev.portsicle.relay;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Against slowloris: a visitor's request head must arrive whole within the relay's header timeout,
 * counted from the connection's start and, between requests, from the next head's first byte. The idle
 * timeout cannot do this alone, since a byte a second is never idle.
 *
 * <p>Two handlers share one clock: {@link #BYTES} sits below the HTTP codec and starts it when bytes
 * arrive while a head is expected; {@link #HEADS} sits right above the codec and stops it when the head
 * is decoded, and expects the next head after the request's last content. When the clock runs out it
 * fires {@link Expired} at the {@link VisitorHandler}, which closes the connection unless an exchange is
 * in flight (a request in flight is never cut off). An upgraded connection is no longer HTTP: the two
 * handlers leave with {@link #removeFrom}.
 */
final class HeaderTimeout {
    static final String BYTES = "header-timeout-bytes";
    static final String HEADS = "header-timeout-heads";

    /** The head was not read in time; {@code partial} when some of it had arrived (408), else nothing had. */
    record Expired(boolean partial, Duration timeout) {
    }

    private final long timeoutNanos;
    private boolean expectingHead = true;
    private boolean headStarted;
    private ScheduledFuture<?> deadline;

    HeaderTimeout(Duration timeout) {
        this.timeoutNanos = timeout.toNanos();
    }

    /** Adds both handlers around the codec, which must already be in {@code pipeline} at {@code codecName}. */
    void addAround(ChannelPipeline pipeline, String codecName) {
        pipeline.addBefore(codecName, BYTES, new Bytes());
        pipeline.addAfter(codecName, HEADS, new Heads());
    }

    static void removeFrom(ChannelPipeline pipeline) {
        Bytes bytes = (Bytes) pipeline.get(BYTES);
        if (bytes != null) {
            bytes.owner().stop();
            pipeline.remove(BYTES);
        }
        if (pipeline.get(HEADS) != null) {
            pipeline.remove(HEADS);
        }
    }

    private void start(ChannelHandlerContext ctx) {
        if (deadline == null && expectingHead) {
            deadline = ctx.executor().schedule(() -> {
                deadline = null;
                if (ctx.channel().isActive()) {
                    ctx.fireUserEventTriggered(new Expired(headStarted, Duration.ofNanos(timeoutNanos)));
                }
            }, timeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void stop() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    private final class Bytes extends ChannelInboundHandlerAdapter {
        HeaderTimeout owner() {
            return HeaderTimeout.this;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            if (ctx.channel().isActive()) {
                start(ctx);
            }
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            start(ctx);
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (expectingHead && msg instanceof ByteBuf bytes && bytes.isReadable()) {
                headStarted = true;
                start(ctx);
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            stop();
            ctx.fireChannelInactive();
        }
    }

    private final class Heads extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest) {
                stop();
                expectingHead = false;
                headStarted = false;
            }
            if (msg instanceof LastHttpContent) {
                expectingHead = true;
            }
            ctx.fireChannelRead(msg);
        }
    }
}
