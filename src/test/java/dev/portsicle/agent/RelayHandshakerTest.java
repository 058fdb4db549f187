package dev.portsicle.agent;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

class RelayHandshakerTest {
    private static final byte[] PAYLOAD = "HTTP/2 bytes of a response body, long enough for the masking loop"
            .getBytes(StandardCharsets.US_ASCII);

    @Test
    void overTlsFramesCarryTheZeroKeyAndTheBytesAsTheyAre() {
        byte[] frame = encode(true);

        assertThat(frame[1] & 0x80).as("mask bit").isEqualTo(0x80);
        assertThat(maskKey(frame)).containsExactly(0, 0, 0, 0);
        assertThat(payload(frame)).isEqualTo(PAYLOAD);
    }

    @Test
    void overPlainWebSocketFramesAreMaskedWithARandomKey() {
        byte[] frame = encode(false);
        byte[] key = maskKey(frame);
        byte[] payload = payload(frame);

        assertThat(frame[1] & 0x80).as("mask bit").isEqualTo(0x80);
        assertThat(key).isNotEqualTo(new byte[4]);
        for (int i = 0; i < payload.length; i++) {
            payload[i] ^= key[i % 4];
        }
        assertThat(payload).isEqualTo(PAYLOAD);
    }

    /** One binary frame as the agent's encoder writes it, header and payload in one array. */
    private static byte[] encode(boolean tls) {
        RelayHandshaker handshaker = new RelayHandshaker(URI.create("ws://relay.test/_portsicle/tunnel"), tls,
                new DefaultHttpHeaders(), 1024);
        EmbeddedChannel channel = new EmbeddedChannel(handshaker.newWebSocketEncoder());
        channel.writeOutbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(PAYLOAD)));
        CompositeByteBuf out = Unpooled.compositeBuffer();
        for (ByteBuf piece; (piece = channel.readOutbound()) != null; ) {
            out.addComponent(true, piece);
        }
        byte[] bytes = new byte[out.readableBytes()];
        out.readBytes(bytes);
        out.release();
        channel.finishAndReleaseAll();
        return bytes;
    }

    /** The payload is under 126 bytes: two header bytes, then the four-byte key. */
    private static byte[] maskKey(byte[] frame) {
        assertThat(frame[1] & 0x7F).isEqualTo(PAYLOAD.length);
        return Arrays.copyOfRange(frame, 2, 6);
    }

    private static byte[] payload(byte[] frame) {
        return Arrays.copyOfRange(frame, 6, frame.length);
    }
}
