package dev.portsicle.protocol;

import dev.portsicle.net.Transport;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.flush.FlushConsolidationHandler;

import static io.netty.handler.codec.http2.Http2CodecUtil.DEFAULT_WINDOW_SIZE;

/**
 * The HTTP/2 connection that runs over a session's WebSocket: the relay is the client (it opens a
 * stream per visitor connection and tunnel), the agent the server.
 *
 * <p>Flow control: every stream has its own window of {@link #STREAM_WINDOW}, so at most that much of
 * one exchange waits in memory on the receiving side when its reader is slow. The connection window is
 * opened wide ({@link #CONNECTION_WINDOW}) so that slow streams, each holding its full window, never
 * stall the others; the memory bound per session is {@link #MAX_CONCURRENT_STREAMS} x STREAM_WINDOW.
 * A {@link Heartbeat} keeps watch over the session.
 */
public final class Multiplexer {
    /** Per-stream window: enough to fill a fast link, small enough that a thousand slow streams fit in RAM. */
    public static final int STREAM_WINDOW = 512 * 1024;
    public static final int CONNECTION_WINDOW = Integer.MAX_VALUE;
    /**
     * Concurrent streams one session carries (a visitor connection's, in an exchange or kept between two);
     * the relay answers 503 beyond.
     */
    public static final int MAX_CONCURRENT_STREAMS = 1000;
    /** Our stream HEADERS are tiny; anything bigger is a misbehaving peer. */
    public static final int MAX_HEADER_LIST = 16 * 1024;

    private static final String FLUSHES = "flush-consolidation";
    private static final String CODEC = "h2-codec";
    private static final String HEARTBEAT = "heartbeat";
    private static final String MULTIPLEX = "h2-multiplex";

    /**
     * Adds the HTTP/2 codec and multiplexer just before the session handler named {@code before} (above
     * the {@link WebSocketBytesCodec}); {@code inboundStreams} initializes streams the peer opens, and the
     * {@link Heartbeat} runs on {@code heartbeat}. Control messages pass through both unchanged.
     */
    public static void install(ChannelPipeline pipeline, String before, boolean server,
                               ChannelHandler inboundStreams, Heartbeat.Timing heartbeat, Runnable onHeartbeatTimeout) {
        Http2Settings settings = new Http2Settings()
                .initialWindowSize(STREAM_WINDOW)
                .maxConcurrentStreams(MAX_CONCURRENT_STREAMS)
                .maxHeaderListSize(MAX_HEADER_LIST)
                .maxFrameSize(Transport.CHUNK);
        if (!server) {
            settings.pushEnabled(false); // only a client may send this setting
        }
        Http2FrameCodec codec = (server ? Http2FrameCodecBuilder.forServer() : Http2FrameCodecBuilder.forClient())
                .initialSettings(settings)
                // Streams are reset whenever a visitor goes away: that is traffic, not an attack.
                .decoderEnforceMaxRstFramesPerWindow(0, 0)
                .build();
        // Streams flush after each message; coalescing those flushes per event-loop turn puts many
        // streams' frames into one WebSocket frame and one write, under load.
        pipeline.addBefore(before, FLUSHES,
                new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
        pipeline.addBefore(before, CODEC, codec);
        pipeline.addBefore(before, MULTIPLEX, new Http2MultiplexHandler(inboundStreams));
        pipeline.addBefore(before, HEARTBEAT, new Heartbeat(heartbeat, onHeartbeatTimeout));
        pipeline.channel().writeAndFlush(new DefaultHttp2WindowUpdateFrame(CONNECTION_WINDOW - DEFAULT_WINDOW_SIZE));
    }

    private Multiplexer() {
    }
}
