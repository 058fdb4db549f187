package dev.portsicle.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Unmasks a client's WebSocket frames in place, just ahead of Netty's frame decoder, and zeroes their
 * keys: Netty skips the unmasking of a frame whose key is zero, and its own pass (through {@code ByteBuf}
 * calls that check bounds and the reference count) was 8.6% of the relay's event loop under 100 KiB
 * responses. Here {@link Masking} does it at memory speed.
 *
 * <p>This handler only follows the frame boundaries (header lengths and payload lengths); everything
 * else about a frame (opcodes, reserved bits, control frame rules, the size limit) is still checked by
 * Netty's decoder after it. A header split between two reads is held back until it is whole, and then
 * passed on by itself. A length the decoder will refuse (the top bit of a 64-bit length set) stops the
 * unmasking: the decoder closes the connection on that frame anyway.
 */
public final class FrameUnmasker extends ChannelInboundHandlerAdapter {
    private static final int MAX_HEADER = 14;

    /** Bytes of the payload being passed through, still to unmask. */
    private long payloadLeft;
    /** The key for the next payload byte: the frame's key, turned by the bytes already unmasked. */
    private int key;
    /** The start of a header that the last read cut off, or null. */
    private ByteBuf partial;
    private boolean gaveUp;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in) || gaveUp) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (in.nioBufferCount() != 1) { // a composite of several pieces: one piece, so it can be written through
            ByteBuf flat = ctx.alloc().directBuffer(in.readableBytes()).writeBytes(in);
            in.release();
            in = flat;
        }
        if (partial != null && !completeHeader(ctx, in)) {
            in.release();
            return;
        }
        int start = in.readerIndex();
        int end = in.writerIndex();
        int at = start;
        while (at < end && !gaveUp) {
            if (payloadLeft > 0) {
                int n = (int) Math.min(payloadLeft, end - at);
                if (key != 0) {
                    Masking.xor(in.nioBuffer(at, n), key);
                    key = Masking.advance(key, n);
                }
                at += n;
                payloadLeft -= n;
                continue;
            }
            int header = headerLength(in, at, end);
            if (header < 0 || at + header > end) {
                partial = ctx.alloc().buffer(MAX_HEADER).writeBytes(in, at, end - at);
                in.writerIndex(at);
                break;
            }
            startFrame(in, at, header);
            at += header;
        }
        if (in.isReadable()) {
            ctx.fireChannelRead(in);
        } else {
            in.release();
        }
    }

    /**
     * Moves bytes from {@code in} into the held-back header until it is whole, then passes it on.
     * False when {@code in} ran out first.
     */
    private boolean completeHeader(ChannelHandlerContext ctx, ByteBuf in) {
        while (in.isReadable()) {
            int header = headerLength(partial, partial.readerIndex(), partial.writerIndex());
            int missing = header < 0 ? 2 - partial.readableBytes() : header - partial.readableBytes();
            if (missing == 0) {
                break;
            }
            partial.writeBytes(in, Math.min(missing, in.readableBytes()));
        }
        int header = headerLength(partial, partial.readerIndex(), partial.writerIndex());
        if (header < 0 || partial.readableBytes() < header) {
            return false;
        }
        startFrame(partial, partial.readerIndex(), header);
        ByteBuf whole = partial;
        partial = null;
        ctx.fireChannelRead(whole);
        return true;
    }

    /** The length of the frame header at {@code at}, or -1 when fewer than its first two bytes are there. */
    private static int headerLength(ByteBuf buf, int at, int end) {
        if (end - at < 2) {
            return -1;
        }
        int second = buf.getUnsignedByte(at + 1);
        int lengthBytes = switch (second & 0x7F) {
            case 126 -> 2;
            case 127 -> 8;
            default -> 0;
        };
        return 2 + lengthBytes + ((second & 0x80) != 0 ? 4 : 0);
    }

    /** Takes the payload length and key from the whole header at {@code at} and zeroes the key. */
    private void startFrame(ByteBuf buf, int at, int header) {
        int second = buf.getUnsignedByte(at + 1);
        boolean masked = (second & 0x80) != 0;
        long length = switch (second & 0x7F) {
            case 126 -> buf.getUnsignedShort(at + 2);
            case 127 -> buf.getLong(at + 2);
            default -> second & 0x7F;
        };
        if (length < 0) {
            gaveUp = true;
            return;
        }
        payloadLeft = length;
        key = 0;
        if (masked) {
            key = buf.getInt(at + header - 4);
            buf.setInt(at + header - 4, 0);
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (partial != null) {
            partial.release();
            partial = null;
        }
    }
}
