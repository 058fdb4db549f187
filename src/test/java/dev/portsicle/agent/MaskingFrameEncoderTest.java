package dev.portsicle.agent;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Frames masked by the agent decode, with Netty's server-side decoder, to exactly the bytes written, and
 * the pieces they were written from (one of them a shared, read-only buffer) are left as they were.
 */
class MaskingFrameEncoderTest {
    private final Random random = new Random(42);

    private ByteBuf randomPiece(int length, boolean direct) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return direct ? Unpooled.directBuffer(length).writeBytes(bytes) : Unpooled.wrappedBuffer(bytes);
    }

    /** Encodes {@code content} as the agent does and decodes it as the relay would; returns the payload. */
    private static byte[] roundTrip(ByteBuf content) {
        EmbeddedChannel agent = new EmbeddedChannel(new MaskingFrameEncoder());
        EmbeddedChannel relay = new EmbeddedChannel(new WebSocket13FrameDecoder(true, false, 1 << 24));
        assertThat(agent.writeOutbound(new BinaryWebSocketFrame(content))).isTrue();
        for (ByteBuf wire; (wire = agent.readOutbound()) != null; ) {
            relay.writeInbound(wire);
        }
        WebSocketFrame frame = relay.readInbound();
        try {
            return ByteBufUtil.getBytes(frame.content());
        } finally {
            frame.release();
            agent.finishAndReleaseAll();
            relay.finishAndReleaseAll();
        }
    }

    @Test
    void aFrameOfManyPiecesDecodesToWhatWasWrittenAndThePiecesAreLeftAsTheyWere() {
        // direct and heap pieces of odd sizes, as the HTTP/2 codec writes a frame header, then data
        ByteBuf shared = Unpooled.directBuffer(2).writeByte('\r').writeByte('\n').asReadOnly();
        CompositeByteBuf content = Unpooled.compositeBuffer();
        for (int length : new int[] {9, 16383, 7, 20001, 1}) {
            content.addComponent(true, randomPiece(length, length % 2 == 1));
        }
        content.addComponent(true, shared.retainedDuplicate()); // like the HTTP encoder's CRLF
        ByteBuf kept = content.retainedDuplicate();
        byte[] written = ByteBufUtil.getBytes(content);

        assertThat(roundTrip(content)).isEqualTo(written);
        assertThat(ByteBufUtil.getBytes(kept)).as("masked in a copy, not in place").isEqualTo(written);
        kept.release();
        shared.release();
    }
}
