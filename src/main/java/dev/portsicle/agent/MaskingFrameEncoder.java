package dev.portsicle.agent;

import dev.portsicle.protocol.Masking;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Netty's client frame encoder with a faster masking pass for the frames that carry the tunnel's bytes.
 *
 * <p>Netty masks eight bytes at a time through {@code ByteBuf} calls that each check bounds and the
 * reference count: under a download that was 60% of the agent's time. Binary frames are copied here into
 * one direct buffer, a piece at a time, and masked in place by {@link Masking}.
 * Other frames (control messages, pings, close) go through Netty unchanged.
 */
final class MaskingFrameEncoder extends WebSocket13FrameEncoder {
    private static final int FIN_BINARY = 0x80 | 0x2;
    private static final int MASKED = 0x80;

    MaskingFrameEncoder() {
        super(true);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, WebSocketFrame msg, List<Object> out) throws Exception {
        if (!(msg instanceof BinaryWebSocketFrame) || !msg.isFinalFragment() || msg.rsv() != 0) {
            super.encode(ctx, msg, out);
            return;
        }
        ByteBuf data = msg.content();
        int length = data.readableBytes();
        int mask = ThreadLocalRandom.current().nextInt();
        ByteBuf frame = ctx.alloc().directBuffer(14 + length);
        try {
            frame.writeByte(FIN_BINARY);
            if (length <= 125) {
                frame.writeByte(MASKED | length);
            } else if (length <= 0xFFFF) {
                frame.writeByte(MASKED | 126).writeShort(length);
            } else {
                frame.writeByte(MASKED | 127).writeLong(length);
            }
            frame.writeInt(mask);
            int start = frame.writerIndex();
            // getBytes copies piece by piece; writeBytes would first merge a composite into a heap array
            data.getBytes(data.readerIndex(), frame, start, length);
            frame.writerIndex(start + length);
            Masking.xor(frame.nioBuffer(start, length), mask);
            out.add(frame);
            frame = null;
        } finally {
            if (frame != null) {
                frame.release();
            }
        }
    }
}
