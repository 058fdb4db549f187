package dev.portsicle.net;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;

/**
 * The proxy backpressure rule in one place: forward one message, and read the next from the source only
 * once the destination has taken this one. With auto-read off on both sides, the slowest side sets the pace
 * and at most one message per direction is in flight.
 */
public final class Forwarding {

    /**
     * Writes {@code msg} to {@code to}; when written, asks {@code from} for the next message, else runs
     * {@code onFailure} (the destination is gone).
     */
    public static void forward(Object msg, Channel to, Channel from, Runnable onFailure) {
        to.writeAndFlush(msg).addListener((ChannelFutureListener) written -> {
            if (written.isSuccess()) {
                from.read();
            } else {
                onFailure.run();
            }
        });
    }

    /** Closes {@code channel} once what was written to it so far has left. */
    public static void closeOnFlush(Channel channel) {
        if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            channel.close();
        }
    }

    private Forwarding() {
    }
}
