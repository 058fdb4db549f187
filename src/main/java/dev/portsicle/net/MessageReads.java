package dev.portsicle.net;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;

import java.util.ArrayDeque;

/**
 * Makes {@code read()} mean "deliver the next decoded message" on a pipeline with auto-read off: the
 * piece that lets the {@link Forwarding} rule (one read, one message) hold above a decoder, which may
 * turn one read into several messages (a request head and its body) or into none (half a head).
 *
 * <p>Netty's {@code FlowControlHandler} does the queueing but does not fit a proxy: it counts a read
 * cycle that ended with no whole message as done (the next message then waits for a read nobody
 * makes), and it drops what is queued when the channel closes, which would cut off the end of a
 * response whose server closes right after sending it. Here the read stays wanted until a message
 * arrives, and the channel's end is passed on after everything before it.
 *
 * <p>With read-ahead, a socket read is kept asked for while nothing is queued, even when no message is
 * wanted: what it brings waits here (one read's worth at most). On a keep-alive connection that answers
 * one request at a time this keeps epoll's read interest set between requests, instead of clearing and
 * setting it again (two {@code epoll_ctl} calls per request).
 */
public final class MessageReads extends ChannelDuplexHandler {
    private final ArrayDeque<Object> queue = new ArrayDeque<>(4);
    private final boolean readAhead;
    private boolean wanted;
    private boolean delivering;
    private boolean inUpstreamRead;

    private MessageReads(boolean readAhead) {
        this.readAhead = readAhead;
    }

    /** Adds a {@code MessageReads} at the end of {@code pipeline} (right after the decoder). */
    public static void addTo(ChannelPipeline pipeline) {
        pipeline.addLast(new MessageReads(false));
    }

    /** The same, reading one socket read ahead of what is wanted (see above). */
    public static void addWithReadAheadTo(ChannelPipeline pipeline) {
        pipeline.addLast(new MessageReads(true));
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        wanted = true;
        if (!queue.isEmpty()) {
            deliver(ctx);
        } else if (!delivering && !inUpstreamRead && !inputShutdown(ctx)) {
            ctx.read();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        queue.add(msg);
        inUpstreamRead = true;
        try {
            deliver(ctx);
        } finally {
            inUpstreamRead = false;
        }
    }

    /** Hands on queued messages while they are wanted; a loop, not recursion, when a handler reads at once. */
    private void deliver(ChannelHandlerContext ctx) {
        if (delivering) {
            return;
        }
        delivering = true;
        try {
            while (!queue.isEmpty() && (wanted || queue.peek() instanceof ChannelInputShutdownEvent)) {
                Object next = queue.poll();
                if (next instanceof ChannelInputShutdownEvent) {
                    ctx.fireUserEventTriggered(next); // in its place, after the bytes before it
                } else {
                    wanted = false;
                    ctx.fireChannelRead(next);
                }
            }
        } finally {
            delivering = false;
        }
        if (wanted && queue.isEmpty() && !inUpstreamRead && !inputShutdown(ctx)) {
            ctx.read();
        }
    }

    /** A half-close waits behind the bytes that came before it, so nobody sees it early. */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            queue.add(evt);
            deliver(ctx);
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    /** A half-closed socket has nothing more to read (and epoll refuses to be asked). */
    private static boolean inputShutdown(ChannelHandlerContext ctx) {
        return ctx.channel() instanceof DuplexChannel socket && socket.isInputShutdown();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if ((wanted || readAhead) && queue.isEmpty() && ctx.channel().isActive() && !inputShutdown(ctx)) {
            ctx.read(); // that read brought no whole message, or all it brought was taken: ask again
        }
        ctx.fireChannelReadComplete();
    }

    /**
     * The channel is gone and its pipeline will be taken down right after: what is queued is handed on now
     * (the tail of a response whose server closed at once), then the end.
     */
    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        Object msg;
        while ((msg = queue.poll()) != null) {
            if (msg instanceof ChannelInputShutdownEvent) {
                ctx.fireUserEventTriggered(msg);
            } else {
                ctx.fireChannelRead(msg);
            }
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        Object msg;
        while ((msg = queue.poll()) != null) {
            ReferenceCountUtil.release(msg);
        }
    }
}
