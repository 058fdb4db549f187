package dev.portsicle.agent;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Netty's client frame encoder with a faster masking pass for the frames that carry the tunnel's bytes.
 *
 * <p>Netty masks eight bytes at a time through {@code ByteBuf} calls that each check bounds and the
 * reference count: under a download that was 60% of the agent's time. Binary frames are copied here into
 * one direct buffer, a piece at a time, and masked in place through a {@link LongBuffer} view of it.
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
            mask(frame.nioBuffer(start, length), mask);
            out.add(frame);
            frame = null;
        } finally {
            if (frame != null) {
                frame.release();
            }
        }
    }

    /** XORs {@code bytes} in place with the four-byte key repeated, as RFC 6455 section 5.3 says. */
    private static void mask(ByteBuffer bytes, int key) {
        // Eight bytes at a time in the machine's own byte order: a loop over a LongBuffer that the JIT
        // vectorizes (~35 GB/s here, against ~8 for big-endian ByteBuffer longs, which swap bytes).
        ByteBuffer view = bytes.slice().order(ByteOrder.nativeOrder());
        int ordered = view.order() == ByteOrder.BIG_ENDIAN ? key : Integer.reverseBytes(key);
        long longKey = (ordered & 0xFFFFFFFFL) | ((long) ordered << 32);
        LongBuffer longs = view.asLongBuffer();
        int count = longs.remaining();
        for (int i = 0; i < count; i++) {
            longs.put(i, longs.get(i) ^ longKey);
        }
        for (int i = count * 8; i < view.remaining(); i++) {
            view.put(i, (byte) (view.get(i) ^ (key >>> (24 - 8 * (i & 3)))));
        }
    }
}
