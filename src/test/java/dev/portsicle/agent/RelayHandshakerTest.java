package dev.portsicle.agent;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The agent's frames as the relay receives them: masked, with the key zero over TLS. */
class RelayHandshakerTest {

    @Test
    void overTlsFramesCarryTheZeroKeyAndTheBytesAsTheyAre() {
        byte[] payload = randomBytes(100);
        byte[] frame = encode(true, payload);

        assertThat(frame[1] & 0x80).as("mask bit").isEqualTo(0x80);
        assertThat(Arrays.copyOfRange(frame, 2, 6)).as("key").containsExactly(0, 0, 0, 0);
        assertThat(Arrays.copyOfRange(frame, 6, frame.length)).isEqualTo(payload);
    }

    @Test
    void overPlainWebSocketFramesAreMaskedWithARandomKey() {
        byte[] payload = randomBytes(100);
        byte[] frame = encode(false, payload);

        assertThat(frame[1] & 0x80).as("mask bit").isEqualTo(0x80);
        assertThat(Arrays.copyOfRange(frame, 2, 6)).as("key").isNotEqualTo(new byte[4]);
        assertThat(Arrays.copyOfRange(frame, 6, frame.length)).isNotEqualTo(payload);
        assertThat(decode(frame)).isEqualTo(payload);
    }

    @Test
    void everyLengthFormUnmasksToThePayload() {
        // 7 and 13 bytes: only the byte-wise tail; 126 and 65,535: 16-bit lengths; 70,003: 64-bit, odd tail.
        for (int length : new int[] {0, 7, 13, 125, 126, 65_535, 65_536, 70_003}) {
            byte[] payload = randomBytes(length);
            assertThat(decode(encode(false, payload))).as("%d bytes", length).isEqualTo(payload);
        }
    }

    @Test
    void aPayloadInManyPiecesIsMaskedAsOne() {
        byte[] payload = randomBytes(3 * 4096 + 5);
        CompositeByteBuf pieces = Unpooled.compositeBuffer();
        for (int at = 0; at < payload.length; at += 4096) {
            pieces.addComponent(true, Unpooled.copiedBuffer(payload, at, Math.min(4096, payload.length - at)));
        }
        assertThat(decode(encode(false, pieces))).isEqualTo(payload);
    }

    private static byte[] encode(boolean tls, byte[] payload) {
        return encode(tls, Unpooled.wrappedBuffer(payload));
    }

    /** One binary frame as the agent's encoder writes it, header and payload in one array. */
    private static byte[] encode(boolean tls, ByteBuf payload) {
        RelayHandshaker handshaker = new RelayHandshaker(URI.create("ws://relay.test/_portsicle/tunnel"), tls,
                new DefaultHttpHeaders(), 1 << 20);
        EmbeddedChannel channel = new EmbeddedChannel(handshaker.newWebSocketEncoder());
        channel.writeOutbound(new BinaryWebSocketFrame(payload));
        CompositeByteBuf out = Unpooled.compositeBuffer();
        for (ByteBuf piece; (piece = channel.readOutbound()) != null; ) {
            out.addComponent(true, piece);
        }
        byte[] bytes = ByteBufUtil.getBytes(out);
        out.release();
        channel.finishAndReleaseAll();
        return bytes;
    }

    /** The payload as the relay's decoder (Netty's, expecting masked frames) hands it on. */
    private static byte[] decode(byte[] frame) {
        EmbeddedChannel relay = new EmbeddedChannel(new WebSocket13FrameDecoder(true, false, 1 << 20));
        relay.writeInbound(Unpooled.wrappedBuffer(frame));
        BinaryWebSocketFrame decoded = relay.readInbound();
        byte[] bytes = ByteBufUtil.getBytes(decoded.content());
        decoded.release();
        relay.finishAndReleaseAll();
        return bytes;
    }

    private static byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        new Random(length).nextBytes(bytes);
        return bytes;
    }
}
