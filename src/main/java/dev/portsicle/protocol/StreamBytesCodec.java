package dev.portsicle.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
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
 * close-delimited HTTP body in the decoder above. Write {@link #END_STREAM} to half-close our side.
 */
public final class StreamBytesCodec extends ChannelDuplexHandler {

    /** Write this (a fresh instance each time) to end our side of the stream. */
    public static Http2DataFrame endStream() {
        return new DefaultHttp2DataFrame(true);
    }

    /**
     * Ends our side of {@code stream}, once: the graceful end of a raw byte pipe. A second END_STREAM would
     * fail, and a failed write makes Netty reset the stream, dropping data still waiting for window.
     */
    public static void end(Channel stream) {
        if (stream.isActive() && stream.attr(ENDED).setIfAbsent(Boolean.TRUE) == null) {
            stream.writeAndFlush(endStream());
        }
    }

    private static final AttributeKey<Boolean> ENDED = AttributeKey.valueOf("portsicle.streamEnded");

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
