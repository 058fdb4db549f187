package dev.portsicle.agent;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.ThreadLocalRandom;

/**
 * The agent's side of masking (bench/codec.sh): one binary frame of {@code size} bytes through
 * {@link MaskingFrameEncoder}, against Netty's own client encoder, which it replaced. Scores are frames
 * per second.
 */
@State(Scope.Thread)
public class MaskingFrameEncoderBenchmark {
    @Param({"1024", "262144"})
    public int size;

    private ByteBuf payload;
    private EmbeddedChannel ours;
    private EmbeddedChannel netty;

    @Setup(Level.Trial)
    public void setUp() {
        byte[] bytes = new byte[size];
        ThreadLocalRandom.current().nextBytes(bytes);
        payload = PooledByteBufAllocator.DEFAULT.directBuffer(size).writeBytes(bytes);
        ours = new EmbeddedChannel(new MaskingFrameEncoder());
        netty = new EmbeddedChannel(new WebSocket13FrameEncoder(true));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        payload.release();
        ours.finishAndReleaseAll();
        netty.finishAndReleaseAll();
    }

    @Benchmark
    public int maskingFrameEncoder() {
        return encode(ours);
    }

    @Benchmark
    public int nettysEncoder() {
        return encode(netty);
    }

    private int encode(EmbeddedChannel channel) {
        channel.writeOutbound(new BinaryWebSocketFrame(payload.retainedDuplicate()));
        int bytes = 0;
        for (ByteBuf piece; (piece = channel.readOutbound()) != null; piece.release()) {
            bytes += piece.readableBytes();
        }
        return bytes;
    }
}
