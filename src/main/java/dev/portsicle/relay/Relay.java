package dev.portsicle.relay;

import dev.portsicle.net.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A running relay. {@link #start} binds and returns; {@link #close} stops accepting and closes every
 * connection.
 */
public final class Relay implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Relay.class);

    private final EventLoopGroup group;
    private final Channel server;
    /** The plain-HTTP port that redirects to HTTPS, or null. */
    private final Channel redirect;
    private final RelayContext context;

    private Relay(EventLoopGroup group, Channel server, Channel redirect, RelayContext context) {
        this.group = group;
        this.server = server;
        this.redirect = redirect;
        this.context = context;
    }

    public static Relay start(RelayConfig config) throws InterruptedException {
        Transport transport = Transport.best();
        LoopAffinity affinity = new LoopAffinity();
        EventLoopGroup group = transport.newGroup(config.threads(), affinity);
        TunnelRegistry tunnels = new TunnelRegistry();
        ResumeTokens resumeTokens = config.secret() == null ? ResumeTokens.random()
                : new ResumeTokens(config.secret().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        RelayContext context = new RelayContext(config, tunnels, resumeTokens,
                new Router(tunnels, config.domain()), group, affinity, transport, new InFlight(),
                new DefaultChannelGroup(GlobalEventExecutor.INSTANCE));
        try {
            Channel server = new ServerBootstrap()
                    .group(group)
                    .channel(transport.serverChannel())
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.RCVBUF_ALLOCATOR, Transport.reads())
                    .childHandler(new RelayInitializer(context))
                    .bind(config.bindHost(), config.port())
                    .sync()
                    .channel();
            Channel redirect = config.tls() == null || config.tls().redirectPort() == null ? null
                    : startRedirect(config, transport, group, ((InetSocketAddress) server.localAddress()).getPort());
            Relay relay = new Relay(group, server, redirect, context);
            log.info("relay listening on {} ({}{})", relay.address(), config.tls() == null ? "" : "https, ",
                    transport.name().toLowerCase());
            if (config.tokens() == null && !relay.address().getAddress().isLoopbackAddress()) {
                log.warn("open relay: anyone who can reach {} may open tunnels through it; "
                         + "give agents tokens with --tokens FILE or PORTSICLE_TOKENS", relay.address());
            }
            return relay;
        } catch (RuntimeException | InterruptedException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }

    private static Channel startRedirect(RelayConfig config, Transport transport, EventLoopGroup group, int httpsPort)
            throws InterruptedException {
        Channel redirect = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannel())
                .childHandler(HttpsRedirect.initializer(config, httpsPort))
                .bind(config.bindHost(), config.tls().redirectPort())
                .sync()
                .channel();
        log.info("redirecting plain HTTP on {} to https", redirect.localAddress());
        return redirect;
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    public int port() {
        return address().getPort();
    }

    /** The port that redirects plain HTTP to HTTPS; -1 when there is none. */
    public int redirectPort() {
        return redirect == null ? -1 : ((InetSocketAddress) redirect.localAddress()).getPort();
    }

    /** Tunnels bound right now. */
    public int tunnelCount() {
        return context.tunnels().size();
    }

    /**
     * Graceful stop: no new connections; idle visitor connections close, exchanges in flight (event
     * streams, WebSockets, uploads) get up to {@code grace} to finish; then everything closes and agents
     * go to reconnect (to this relay restarted, or another with the same secret). Returns whether all
     * exchanges finished in time. Blocks: call it off the event loops.
     */
    public boolean drain(Duration grace) throws InterruptedException {
        context.inFlight().startDraining();
        server.close().syncUninterruptibly();
        if (redirect != null) {
            redirect.close().syncUninterruptibly();
        }
        log.info("draining: {} exchange(s) in flight, up to {} s", context.inFlight().count(), grace.toSeconds());
        context.visitors().forEach(visitor -> visitor.pipeline().fireUserEventTriggered(VisitorHandler.DRAIN));
        boolean finished = context.inFlight().awaitIdle(grace);
        if (!finished) {
            log.warn("grace period over: closing {} exchange(s) still in flight", context.inFlight().count());
        }
        close();
        return finished;
    }

    /** Stops the relay; calling it again does nothing. */
    @Override
    public void close() {
        if (group.isShuttingDown()) {
            return;
        }
        server.close().syncUninterruptibly();
        if (redirect != null) {
            redirect.close().syncUninterruptibly();
        }
        // Connections first, while every event loop still runs: a stream's last message may be on its way
        // to a visitor's loop, and a loop that stopped would drop it unreleased. A short quiet period then
        // lets such hand-overs land before the loops end.
        context.visitors().close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        group.shutdownGracefully(50, 2000, TimeUnit.MILLISECONDS).syncUninterruptibly();
    }
}
