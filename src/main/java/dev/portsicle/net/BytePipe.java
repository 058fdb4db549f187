package dev.portsicle.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;

import java.util.function.Consumer;

/**
 * Raw bytes both ways between two channels, after an HTTP upgrade (WebSocket) or for a TCP tunnel: each
 * side forwards by the {@link Forwarding} rule; when one side's input ends its peer is half-closed, and
 * when one side closes its peer is closed once what was written has left (a peer paused on a closed
 * side would otherwise wait for it forever). Anything that is not bytes (the empty end of a 101
 * response, say) is dropped.
 */
public final class BytePipe extends ChannelInboundHandlerAdapter {

    /** How to end one side: after its peer's input ended, and after its peer closed. */
    public record End(Consumer<Channel> halfClose, Consumer<Channel> close) {
        /** A socket: FIN after the bytes written so far, or close after them. */
        public static final End SOCKET = new End(BytePipe::shutdownOutput, BytePipe::closeAfterFlush);
    }

    private final Channel peer;
    private final End peerEnd;

    private BytePipe(Channel peer, End peerEnd) {
        this.peer = peer;
        this.peerEnd = peerEnd;
    }

    /** Joins {@code a} and {@code b}, whose pipelines must end where bytes come out (codecs removed). */
    public static void join(Channel a, End endA, Channel b, End endB) {
        a.pipeline().addLast(new BytePipe(b, endB));
        b.pipeline().addLast(new BytePipe(a, endA));
        // A side that closed before the join: its close went by with no pipe to see it, and the pipe's own
        // handlerAdded check may never run on a channel that is leaving its event loop. Ending the peer
        // twice does no harm.
        if (!a.isActive()) {
            endB.close().accept(b);
        }
        if (!b.isActive()) {
            endA.close().accept(a);
        }
        a.read();
        b.read();
    }

    /** FIN after what was written; a socket shut both ways is closed. */
    private static void shutdownOutput(Channel channel) {
        if (channel instanceof DuplexChannel socket && channel.isActive()) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> socket.shutdownOutput().addListener(g -> {
                if (socket.isInputShutdown()) {
                    socket.close();
                }
            }));
        } else {
            closeAfterFlush(channel);
        }
    }

    private static void closeAfterFlush(Channel channel) {
        if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (!ctx.channel().isActive()) {
            peerEnd.close().accept(peer); // this side closed before the pipe was joined: nobody saw it go
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf bytes) {
            Forwarding.forward(bytes, peer, ctx.channel(), ctx::close);
        } else {
            ReferenceCountUtil.release(msg);
            ctx.read();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            peerEnd.halfClose().accept(peer);
            if (ctx.channel() instanceof DuplexChannel socket && socket.isOutputShutdown()) {
                ctx.close(); // both directions are done
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        peerEnd.close().accept(peer);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close(); // a reset or the like: channelInactive ends the peer
    }
}
