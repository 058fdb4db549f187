package dev.portsicle.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Masked frames from Netty's own client encoder (random keys), cut into reads at every kind of place,
 * through {@link FrameUnmasker} and then Netty's server decoder: the decoder must see what was sent.
 */
class FrameUnmaskerTest {
    private static final int MAX_PAYLOAD = 1 << 20;

    @Test
    void framesOfEverySizeComeOutAsSentHoweverTheReadsCutThem() {
        Random random = new Random(6455);
        List<WebSocketFrame> sent = new ArrayList<>();
        for (int size : new int[] {0, 1, 7, 125, 126, 127, 1000, 65535, 65536, 300_000}) {
            byte[] payload = new byte[size];
            random.nextBytes(payload);
            sent.add(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(payload)));
        }
        sent.add(new PingWebSocketFrame(Unpooled.copiedBuffer("ping", StandardCharsets.US_ASCII)));
        sent.add(new TextWebSocketFrame("{\"type\":\"hello\",\"version\":1}"));
        byte[] wire = encodeMasked(sent);

        for (int round = 0; round < 8; round++) {
            List<byte[]> reads = new ArrayList<>();
            for (int at = 0; at < wire.length; ) {
                int piece = 1 + random.nextInt(round % 2 == 0 ? 300 : 70_000); // small reads cut headers
                piece = Math.min(piece, wire.length - at);
                reads.add(Arrays.copyOfRange(wire, at, at + piece));
                at += piece;
            }
            assertThat(decode(reads)).as("round %d", round).isEqualTo(contents(sent));
        }
        sent.forEach(WebSocketFrame::release);
    }

    @Test
    void everyCutThroughTheHeadersOfASmallStreamIsHandled() {
        List<WebSocketFrame> sent = List.of(
                new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2, 3})),
                new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[300])),
                new CloseWebSocketFrame(1000, "bye"));
        byte[] wire = encodeMasked(sent);
        for (int cut = 1; cut < wire.length; cut++) {
            for (int second = cut + 1; second <= wire.length; second += 23) {
                List<byte[]> reads = List.of(Arrays.copyOfRange(wire, 0, cut),
                        Arrays.copyOfRange(wire, cut, second),
                        Arrays.copyOfRange(wire, second, wire.length));
                assertThat(decode(reads)).as("cut at %d and %d", cut, second).isEqualTo(contents(sent));
            }
        }
        sent.forEach(WebSocketFrame::release);
    }

    @Test
    void aLengthTheDecoderRefusesIsLeftToTheDecoder() {
        // A 64-bit length with its top bit set: Netty refuses the frame and closes; the unmasker stays out of it.
        byte[] wire = {(byte) 0x82, (byte) 0xFF, (byte) 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4, 9, 9, 9};
        EmbeddedChannel channel = new EmbeddedChannel(new FrameUnmasker(),
                new WebSocket13FrameDecoder(true, false, MAX_PAYLOAD));
        assertThatThrownBy(() -> channel.writeInbound(Unpooled.wrappedBuffer(wire)))
                .isInstanceOf(CorruptedWebSocketFrameException.class);
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.isOpen()).isFalse();
        channel.finishAndReleaseAll();
    }

    /** {@code frames} as a client sends them: masked, with random keys, by Netty's own encoder. */
    static byte[] encodeMasked(List<WebSocketFrame> frames) {
        EmbeddedChannel encoder = new EmbeddedChannel(new WebSocket13FrameEncoder(true));
        frames.forEach(frame -> encoder.writeOutbound(frame.retainedDuplicate()));
        ByteBuf wire = Unpooled.buffer();
        for (ByteBuf piece; (piece = encoder.readOutbound()) != null; ) {
            wire.writeBytes(piece);
            piece.release();
        }
        byte[] bytes = new byte[wire.readableBytes()];
        wire.readBytes(bytes).release();
        encoder.finishAndReleaseAll();
        return bytes;
    }

    /** What the decoder makes of {@code reads} behind the unmasker: each frame's type and payload. */
    private static List<String> decode(List<byte[]> reads) {
        EmbeddedChannel channel = new EmbeddedChannel(new FrameUnmasker(),
                new WebSocket13FrameDecoder(true, false, MAX_PAYLOAD));
        List<String> received = new ArrayList<>();
        for (byte[] read : reads) {
            ByteBuf buf = channel.alloc().directBuffer(read.length).writeBytes(read);
            channel.writeInbound(buf);
            for (WebSocketFrame frame; (frame = channel.readInbound()) != null; ) {
                received.add(describe(frame));
                frame.release();
            }
        }
        assertThat(channel.finishAndReleaseAll()).isFalse();
        return received;
    }

    private static List<String> contents(List<WebSocketFrame> frames) {
        return frames.stream().map(FrameUnmaskerTest::describe).toList();
    }

    private static String describe(WebSocketFrame frame) {
        ByteBuf content = frame.content();
        return frame.getClass().getSimpleName() + " of " + content.readableBytes() + " bytes, hash "
               + ByteBufUtil.hashCode(content);
    }
}
