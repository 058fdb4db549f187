package dev.portsicle.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.AttributeKey;

/**
 * The proxy backpressure rule in one place: forward a message, and read the next one from the source
 * at once while the destination can take more, else when it becomes writable again. With auto-read off
 * on both sides, the slowest side sets the pace, and what waits in memory per direction is bounded by
 * the destination's write-buffer high-water mark (for a stream: its flow-control window).
 *
 * <p>A destination channel needs {@link #resumer()} in its pipeline so it can wake its source.
 */
public final class Forwarding {
    private static final AttributeKey<Channel> PAUSED_SOURCE = AttributeKey.valueOf("portsicle.pausedSource");

    /**
     * Writes {@code msg} to {@code to} and asks {@code from} for the next message as soon as {@code to}
     * can take it; runs {@code onFailure} if the write fails (the destination is gone).
     */
    public static void forward(Object msg, Channel to, Channel from, Runnable onFailure) {
        to.writeAndFlush(msg).addListener((ChannelFutureListener) written -> {
            if (!written.isSuccess()) {
                onFailure.run();
            }
        });
        readWhenWritable(to, from);
    }

    /** Reads the next message from {@code from} now if {@code to} is writable, else once it is. */
    public static void readWhenWritable(Channel to, Channel from) {
        if (to.isWritable()) {
            from.read();
            return;
        }
        to.attr(PAUSED_SOURCE).set(from);
        // Writability may have come back between the check and the set, on the destination's thread.
        if (to.isWritable() && to.attr(PAUSED_SOURCE).compareAndSet(from, null)) {
            from.read();
        }
    }

    /** The handler that resumes a paused source when this channel becomes writable again. */
    public static ChannelHandler resumer() {
        return Resumer.INSTANCE;
    }

    @ChannelHandler.Sharable
    private static final class Resumer extends ChannelDuplexHandler {
        static final Resumer INSTANCE = new Resumer();

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                Channel source = ctx.channel().attr(PAUSED_SOURCE).getAndSet(null);
                if (source != null) {
                    source.read();
                }
            }
            ctx.fireChannelWritabilityChanged();
        }
    }

    private Forwarding() {
    }
}
