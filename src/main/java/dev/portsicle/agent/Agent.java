package dev.portsicle.agent;

import dev.portsicle.net.Transport;
import dev.portsicle.protocol.ControlMessage.Bound;
import dev.portsicle.protocol.Protocol;
import dev.portsicle.protocol.WebSocketBytesCodec;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.ssl.SslContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A running agent: keeps one session to the relay, reconnecting with capped exponential backoff and
 * jitter after any loss, and presenting its resume token so the public URL stays the same.
 */
public final class Agent implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger("portsicle");
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(500);
    /** A session that lived this long was healthy: the next loss starts the backoff afresh. */
    private static final Duration HEALTHY = Duration.ofMinutes(1);

    private final AgentConfig config;
    private final URI tunnelUri;
    private final Transport transport = Transport.best();
    private final EventLoopGroup group;
    private final SslContext ssl;
    private final CompletableFuture<String> publicUrl = new CompletableFuture<>();
    private final CompletableFuture<String> stopped = new CompletableFuture<>();
    private volatile Bound lastBound;
    private volatile Channel channel;
    private volatile boolean closing;
    private Duration backoff = FIRST_BACKOFF;
    private long connectedAt;

    private Agent(AgentConfig config) throws SSLException {
        this.config = config;
        this.tunnelUri = config.tunnelUri();
        this.ssl = tunnelUri.getScheme().equals("wss") ? config.trust().newClientContext() : null;
        this.group = transport.newGroup(1);
    }

    /** Starts dialling the relay; {@link #publicUrl()} completes once the tunnel is bound. */
    public static Agent start(AgentConfig config) throws SSLException {
        Agent agent = new Agent(config);
        agent.connect();
        return agent;
    }

    /** The public URL, once bound; completes exceptionally if the relay definitely refused us. */
    public CompletableFuture<String> publicUrl() {
        return publicUrl;
    }

    /** Completes with the reason when the agent gives up for good (a definite refusal). */
    public CompletableFuture<String> stopped() {
        return stopped;
    }

    private void connect() {
        if (closing) {
            return;
        }
        int port = tunnelUri.getPort() != -1 ? tunnelUri.getPort() : ssl != null ? 443 : 80;
        ChannelFuture connect = new Bootstrap()
                .group(group)
                .channel(transport.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.RCVBUF_ALLOCATOR, Transport.reads())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (ssl != null) {
                            ch.pipeline().addLast(ssl.newHandler(ch.alloc(), tunnelUri.getHost(), port));
                        }
                        ch.pipeline().addLast(
                                new HttpClientCodec(),
                                new HttpObjectAggregator(64 * 1024),
                                new WebSocketClientProtocolHandler(
                                        new RelayHandshaker(tunnelUri, ssl != null, upgradeHeaders(),
                                                Protocol.MAX_WEBSOCKET_FRAME),
                                        WebSocketClientProtocolConfig.newBuilder()
                                        .handshakeTimeoutMillis(10_000)
                                        .dropPongFrames(true)
                                        .build()),
                                new WebSocketFrameAggregator(Protocol.MAX_WEBSOCKET_FRAME),
                                new WebSocketBytesCodec(),
                                new AgentSessionHandler(config, transport, lastBound, new SessionEvents()));
                    }
                })
                .connect(tunnelUri.getHost(), port);
        channel = connect.channel();
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                log.warn("cannot reach the relay at {}: {}", config.server(), f.cause().getMessage());
            }
        });
        connect.channel().closeFuture().addListener(f -> reconnectLater());
    }

    private DefaultHttpHeaders upgradeHeaders() {
        DefaultHttpHeaders headers = new DefaultHttpHeaders();
        headers.set(Protocol.VERSION_HEADER, Protocol.VERSION);
        if (config.token() != null) {
            headers.set(Protocol.TOKEN_HEADER, "Bearer " + config.token());
        }
        return headers;
    }

    private void reconnectLater() {
        if (closing) {
            return;
        }
        if (connectedAt != 0 && System.nanoTime() - connectedAt > HEALTHY.toNanos()) {
            backoff = FIRST_BACKOFF;
        }
        connectedAt = 0;
        long jittered = backoff.toMillis() / 2 + ThreadLocalRandom.current().nextLong(backoff.toMillis() / 2 + 1);
        log.info("reconnecting to the relay in {} ms", jittered);
        group.schedule(this::connect, jittered, TimeUnit.MILLISECONDS);
        backoff = backoff.multipliedBy(2).compareTo(config.maxBackoff()) > 0 ? config.maxBackoff() : backoff.multipliedBy(2);
    }

    /** Runs on the session's event loop, like everything about one connection. */
    private final class SessionEvents implements AgentSessionHandler.Events {
        @Override
        public void bound(Bound bound) {
            connectedAt = System.nanoTime();
            if (lastBound != null) {
                log.info("tunnel back online: {}", bound.url());
            }
            lastBound = bound;
            publicUrl.complete(bound.url());
        }

        @Override
        public void refused(String message) {
            log.error("the relay refused the tunnel: {}", message);
            if (lastBound != null && message.contains("held by another agent")) {
                return; // our old session is not yet gone on the relay side: retry
            }
            giveUp(message);
        }

        @Override
        public void failed(String message, boolean definite) {
            if (definite) {
                giveUp(message); // whoever started the agent reports it, once
                return;
            }
            log.warn("session to {} failed: {}", config.server(), message);
        }
    }

    private void giveUp(String reason) {
        closing = true;
        stopped.complete(reason); // first: whoever sees the URL fail may ask whether we stopped
        publicUrl.completeExceptionally(new IllegalStateException(reason));
        Channel ch = channel;
        if (ch != null) {
            ch.close();
        }
    }

    /**
     * Graceful stop: tells the relay (HTTP/2 GOAWAY) to open no new streams here, gives the streams in
     * flight up to {@code grace} to finish, then closes. Returns whether they all finished. Blocks.
     */
    public boolean drain(Duration grace) throws InterruptedException {
        closing = true;
        Channel ch = channel;
        boolean finished = true;
        if (ch != null && ch.isActive() && ch.pipeline().get(Http2FrameCodec.class) != null) {
            ch.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
            long deadline = System.nanoTime() + grace.toNanos();
            while (activeStreams(ch) > 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            finished = activeStreams(ch) == 0;
            if (!finished) {
                log.warn("grace period over: closing {} stream(s) still in flight", activeStreams(ch));
            }
        }
        close();
        return finished;
    }

    private static int activeStreams(Channel ch) {
        Http2FrameCodec codec = ch.pipeline().get(Http2FrameCodec.class);
        return codec == null || !ch.isActive() ? 0 : codec.connection().numActiveStreams();
    }

    /** Stops the agent; calling it again does nothing. */
    @Override
    public void close() {
        if (group.isShuttingDown()) {
            return;
        }
        closing = true;
        Channel ch = channel;
        if (ch != null) {
            ch.close().syncUninterruptibly();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
