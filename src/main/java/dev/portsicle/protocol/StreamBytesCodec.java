package dev.portsicle.protocol;

import dev.portsicle.net.BytePipe;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.AttributeKey;

/**
 * The bottom of every stream channel: DATA frames in and out become plain bytes, so Netty's HTTP/1.1
 * codecs (or a raw byte pipe) run on a stream as they would on a socket.
 *
 * <p>HEADERS frames pass through for the stream's owner to read. END_STREAM from the peer becomes a
 * {@link ChannelInputShutdownEvent}, the same signal a half-closed socket gives, which also ends a
 * close-delimited HTTP body in the decoder above. Write {@link #endStream()} to half-close our side.
 */
public final class StreamBytesCodec extends ChannelDuplexHandler {

    /** Write this (a fresh instance each time) to end our side of the stream. */
    public static Http2DataFrame endStream() {
        return new DefaultHttp2DataFrame(true);
    }

    /**
     * How a {@link BytePipe} ends a stream. After its other side's input ended: END_STREAM. After its
     * other side closed: END_STREAM, then, once that has left (behind every byte written before it), the
     * stream is closed, which resets it if the peer is still sending. Nothing the stream brings can go
     * anywhere now, and a stream left open keeps what it has queued until it is read: Netty does not
     * close a stream's channel while frames wait in it, even once both ends have ended.
     */
    public static final BytePipe.End PIPE_END = new BytePipe.End(StreamBytesCodec::end,
            stream -> end(stream).addListener(ended -> stream.close()));

    /**
     * Ends our side of {@code stream}, once: the graceful end of a raw byte pipe; the future is that one
     * END_STREAM's. A second END_STREAM would fail, and a failed write makes Netty reset the stream,
     * dropping data still waiting for window.
     */
    public static ChannelFuture end(Channel stream) {
        ChannelPromise ended = stream.newPromise();
        ChannelFuture earlier = stream.attr(ENDED).setIfAbsent(ended);
        if (earlier != null) {
            return earlier;
        }
        return stream.writeAndFlush(endStream(), ended);
    }

    private static final AttributeKey<ChannelFuture> ENDED = AttributeKey.valueOf("portsicle.streamEnded");

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http2DataFrame data) {
            boolean end = data.isEndStream();
            if (data.content().isReadable()) {
                ctx.fireChannelRead(data.content());
            } else {
                data.release();
            }
            if (end) {
                ctx.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
            }
        } else if (msg instanceof Http2HeadersFrame headers) {
            ctx.fireChannelRead(headers);
            if (headers.isEndStream()) {
                ctx.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
            }
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof ByteBuf bytes) {
            if (bytes.isReadable()) {
                ctx.write(new DefaultHttp2DataFrame(bytes), promise);
            } else {
                bytes.release(); // an empty DATA frame would count against the peer's abuse limits
                promise.trySuccess();
            }
        } else {
            ctx.write(msg, promise);
        }
    }
}
