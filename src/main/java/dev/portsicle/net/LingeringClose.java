package dev.portsicle.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;

import java.util.concurrent.TimeUnit;

/**
 * Closes a connection after a last answer (an error page, say) without losing that answer: closing a
 * socket while the peer is still sending (the rest of a refused upload) makes the kernel answer with a
 * reset, and a reset makes the peer drop what it had not read yet, our answer included. So, as RFC 9112
 * section 9.6 advises: send, half-close, then read and discard until the peer closes too, for at most
 * {@link #LINGER_MILLIS}.
 */
public final class LingeringClose extends ChannelInboundHandlerAdapter {
    static final long LINGER_MILLIS = 2000;

    /** Closes {@code written}'s channel that way once the write is done. */
    public static void after(ChannelFuture written) {
        written.addListener((ChannelFutureListener) f -> {
            Channel channel = f.channel();
            if (!f.isSuccess() || !channel.isActive() || !(channel instanceof DuplexChannel socket)) {
                channel.close();
                return;
            }
            channel.pipeline().addFirst(new LingeringClose()); // what comes in now goes nowhere
            socket.shutdownOutput();
            channel.eventLoop().schedule(() -> channel.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
            channel.config().setAutoRead(true);
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent || evt instanceof ChannelInputShutdownReadComplete) {
            ctx.close(); // the peer is done too
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
