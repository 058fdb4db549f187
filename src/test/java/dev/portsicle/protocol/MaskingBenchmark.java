package dev.portsicle.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The relay's side of masking (bench/codec.sh): {@link Masking#xor} against the byte-at-a-time loop it
 * replaced, and {@link FrameUnmasker} with Netty's decoder behind it, as the relay reads an agent's frames,
 * against Netty's decoder unmasking by itself. Scores are operations per second; one operation is one
 * frame of {@code size} bytes. Both decoding benchmarks copy the masked frame first (unmasking in place
 * spends it), so they compare by the time per frame they add to that copy.
 */
@State(Scope.Thread)
public class MaskingBenchmark {
    @Param({"1024", "262144"}) // a small response's frame; a full piece of a body (Transport's CHUNK)
    public int size;

    private ByteBuffer bytes;
    private int key;
    private ByteBuf wire;
    private EmbeddedChannel relay;
    private EmbeddedChannel nettyAlone;

    @Setup(Level.Trial)
    public void setUp() {
        bytes = ByteBuffer.allocateDirect(size);
        key = ThreadLocalRandom.current().nextInt();
        byte[] payload = new byte[size];
        ThreadLocalRandom.current().nextBytes(payload);
        BinaryWebSocketFrame frame = new BinaryWebSocketFrame(Unpooled.wrappedBuffer(payload));
        byte[] masked = FrameUnmaskerTest.encodeMasked(List.of(frame));
        frame.release();
        wire = PooledByteBufAllocator.DEFAULT.directBuffer(masked.length).writeBytes(masked);
        relay = new EmbeddedChannel(new FrameUnmasker(), new WebSocket13FrameDecoder(true, false, size));
        nettyAlone = new EmbeddedChannel(new WebSocket13FrameDecoder(true, false, size));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        wire.release();
        relay.finishAndReleaseAll();
        nettyAlone.finishAndReleaseAll();
    }

    @Benchmark
    public ByteBuffer xorEightBytesAtATime() {
        Masking.xor(bytes, key);
        return bytes;
    }

    @Benchmark
    public ByteBuffer xorByteAtATime() {
        for (int i = 0; i < size; i++) {
            bytes.put(i, (byte) (bytes.get(i) ^ (key >>> (24 - 8 * (i & 3)))));
        }
        return bytes;
    }

    /** One masked frame in, unmasked in place, then framed by Netty's decoder (which unmasks nothing now). */
    @Benchmark
    public int frameUnmaskerAndNettysDecoder() {
        return decode(relay);
    }

    /** What the relay did before {@link FrameUnmasker}: Netty's decoder unmasks as it frames. */
    @Benchmark
    public int nettysDecoderAlone() {
        return decode(nettyAlone);
    }

    private int decode(EmbeddedChannel channel) {
        channel.writeInbound(wire.copy(0, wire.writerIndex()));
        WebSocketFrame frame = channel.readInbound();
        int length = frame.content().readableBytes();
        frame.release();
        return length;
    }
}
