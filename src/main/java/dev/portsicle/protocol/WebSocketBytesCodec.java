package dev.portsicle.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.concurrent.PromiseNotifier;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns a WebSocket into a byte stream plus control messages, so the HTTP/2 codec above it never
 * sees WebSocket framing.
 *
 * <p>Inbound, binary frames become their bytes and text frames become {@link ControlMessage}s
 * (fragmented frames are joined by a {@code WebSocketFrameAggregator} below this handler).
 * Outbound, the bytes written between two flushes leave as one binary frame (at most
 * {@link Protocol#MAX_WEBSOCKET_FRAME}), because the HTTP/2 codec writes many small pieces per
 * flush and a frame each would cost a header and, from the agent, a mask pass each.
 */
public final class WebSocketBytesCodec extends ChannelDuplexHandler {
    private CompositeByteBuf pending;
    private List<ChannelPromise> pendingPromises;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof BinaryWebSocketFrame frame) {
            ctx.fireChannelRead(frame.content());
        } else if (msg instanceof TextWebSocketFrame frame) {
            try {
                ctx.fireChannelRead(ControlMessage.decode(frame.text()));
            } finally {
                frame.release();
            }
        } else if (msg instanceof PingWebSocketFrame ping) {
            ctx.writeAndFlush(new PongWebSocketFrame(ping.content()));
        } else if (msg instanceof CloseWebSocketFrame close) {
            close.release();
            ctx.close();
        } else if (msg instanceof WebSocketFrame other) {
            other.release(); // pongs, and continuations the aggregator already joined
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    /**
     * What was written while the read was handled leaves now. Stream channels write their WINDOW_UPDATEs
     * while the parent reads and leave the flush to the parent's read-complete, which Netty's multiplexer
     * only does for auto-reading streams: ours (auto-read off) would otherwise starve the peer of window
     * until some other write flushed.
     */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (pending != null) {
            writePending(ctx);
            ctx.flush();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof ByteBuf bytes) {
            if (!bytes.isReadable()) {
                bytes.release();
                promise.trySuccess();
                return;
            }
            if (pending == null) {
                pending = ctx.alloc().compositeDirectBuffer(Integer.MAX_VALUE);
                pendingPromises = new ArrayList<>();
            }
            pending.addComponent(true, bytes);
            if (!promise.isVoid()) {
                pendingPromises.add(promise);
            }
            if (pending.readableBytes() >= Protocol.MAX_WEBSOCKET_FRAME) {
                writePending(ctx);
            }
        } else if (msg instanceof ControlMessage control) {
            writePending(ctx);
            ctx.write(new TextWebSocketFrame(ControlMessage.encode(control)), promise);
        } else {
            writePending(ctx);
            ctx.write(msg, promise);
        }
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        writePending(ctx);
        ctx.flush();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (pending != null) {
            pending.release();
            pending = null;
            pendingPromises.forEach(p -> p.tryFailure(new IllegalStateException("session closed")));
        }
    }

    private void writePending(ChannelHandlerContext ctx) {
        if (pending == null) {
            return;
        }
        CompositeByteBuf bytes = pending;
        List<ChannelPromise> promises = pendingPromises;
        pending = null;
        pendingPromises = null;
        while (bytes.readableBytes() > Protocol.MAX_WEBSOCKET_FRAME) {
            ctx.write(new BinaryWebSocketFrame(bytes.readRetainedSlice(Protocol.MAX_WEBSOCKET_FRAME)));
        }
        ctx.write(new BinaryWebSocketFrame(bytes))
                .addListener(new PromiseNotifier<>(promises.toArray(new ChannelPromise[0])));
    }
}
