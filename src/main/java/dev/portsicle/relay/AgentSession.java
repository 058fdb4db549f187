package dev.portsicle.relay;

import dev.portsicle.protocol.ControlMessage;
import dev.portsicle.protocol.ControlMessage.Bind;
import dev.portsicle.protocol.ControlMessage.Bound;
import dev.portsicle.protocol.ControlMessage.Hello;
import dev.portsicle.protocol.ControlMessage.Refused;
import dev.portsicle.protocol.ControlMessage.Welcome;
import dev.portsicle.protocol.Heartbeat;
import dev.portsicle.protocol.Multiplexer;
import dev.portsicle.protocol.Protocol;
import dev.portsicle.protocol.StreamHeaders;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The relay's end of one agent's WebSocket: answers its control messages, binds its tunnels, and
 * unbinds them all the moment the connection ends so visitors are never routed to a dead session.
 */
final class AgentSession extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(AgentSession.class);

    private final RelayContext relay;
    private final PublicUrls urls;
    private final AgentTokens.Token token;
    private final List<Tunnel> tunnels = new ArrayList<>();
    /** Streams waiting for their visitor connection's next request, on any event loop, and their tunnels. */
    private final Map<Http2StreamChannel, Tunnel> keptStreams = new ConcurrentHashMap<>();
    private volatile boolean goingAway;
    private Channel channel;
    private boolean multiplexing;

    /** {@code token} is the one the agent connected with, or null on an open relay. */
    AgentSession(RelayContext relay, PublicUrls urls, AgentTokens.Token token) {
        this.relay = relay;
        this.urls = urls;
        this.token = token;
    }

    Channel channel() {
        return channel;
    }

    /**
     * Parks {@code stream} between two exchanges of its visitor connection. False when the agent is going
     * away (it sent GOAWAY and waits for its streams to end): close the stream instead.
     */
    boolean keep(Http2StreamChannel stream, Tunnel tunnel) {
        if (goingAway) {
            return false;
        }
        keptStreams.put(stream, tunnel);
        // GOAWAY may have swept the parked streams between the check and the put
        return !goingAway || keptStreams.remove(stream) == null;
    }

    /**
     * Takes a parked stream back, for the next exchange or to close it; false when GOAWAY or
     * {@link #evictKept} closed it.
     */
    boolean take(Http2StreamChannel stream) {
        return keptStreams.remove(stream) != null;
    }

    /**
     * Closes one of {@code tunnel}'s parked streams, so that a request can have its place; false when it
     * has none. Only at a tunnel's stream limit, hence the walk over all parked streams.
     */
    boolean evictKept(Tunnel tunnel) {
        for (Map.Entry<Http2StreamChannel, Tunnel> kept : keptStreams.entrySet()) {
            if (kept.getValue() == tunnel && keptStreams.remove(kept.getKey(), tunnel)) {
                kept.getKey().close();
                return true;
            }
        }
        return false;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Hello hello) {
            hello(ctx, hello);
        } else if (msg instanceof Bind bind) {
            bind(ctx, bind);
        } else if (msg instanceof ControlMessage other) {
            protocolError(ctx, "unexpected " + other.getClass().getSimpleName().toLowerCase());
        } else if (msg instanceof ByteBuf data) {
            // HTTP/2 bytes go to the multiplexer once it is in place; before hello they have no meaning
            data.release();
            protocolError(ctx, "binary data before hello");
        } else if (msg instanceof Http2GoAwayFrame goAway) {
            goAway.release();
            goingAway = true; // a draining agent counts its streams down: parked ones are not in flight
            for (Http2StreamChannel stream : keptStreams.keySet()) {
                if (keptStreams.remove(stream) != null) {
                    stream.close();
                }
            }
        } else {
            ReferenceCountUtil.release(msg); // leftovers of the upgrade request; streams have their own channels
        }
    }

    private void hello(ChannelHandlerContext ctx, Hello hello) {
        if (multiplexing) {
            protocolError(ctx, "second hello");
            return;
        }
        if (hello.version() != Protocol.VERSION) {
            refuse(ctx, "protocol version " + hello.version() + " is not supported (relay speaks "
                    + Protocol.VERSION + ")");
            return;
        }
        multiplexing = true;
        ctx.writeAndFlush(new Welcome(Protocol.VERSION));
        // The relay opens streams and the agent opens none, so streams the agent starts are refused.
        Heartbeat.Timing heartbeat = relay.config().heartbeat();
        Multiplexer.install(ctx.pipeline(), ctx.name(), false, RefuseStreams.INSTANCE, heartbeat, () ->
                log.warn("agent {} silent for {}: disconnecting it", ctx.channel().remoteAddress(),
                        heartbeat.timeoutText()));
    }

    private void bind(ChannelHandlerContext ctx, Bind bind) {
        if (!multiplexing) {
            protocolError(ctx, "bind before hello");
            return;
        }
        String problem = bindProblem(bind);
        if (problem != null) {
            refuseBind(ctx, bind, problem);
            return;
        }
        Access access;
        try {
            access = Access.of(bind.basicAuth(), bind.allowCidrs(), bind.denyCidrs());
        } catch (IllegalArgumentException e) {
            refuseBind(ctx, bind, e.getMessage());
            return;
        }
        boolean tcp = StreamHeaders.KIND_TCP.equals(bind.kind());
        String id = bind.name();
        if (id == null && bind.resume() != null) {
            id = relay.resumeTokens().verify(bind.resume());
            if (id == null) {
                refuseBind(ctx, bind, "invalid resume token");
                return;
            }
        }
        Tunnel tunnel;
        if (id != null) {
            tunnel = new Tunnel(id, bind.kind(), this, access, relay.config().maxStreamsPerTunnel());
            if (!relay.tunnels().bind(tunnel)) {
                refuseBind(ctx, bind, "tunnel " + id + " is held by another agent");
                return;
            }
        } else {
            do {
                tunnel = new Tunnel(TunnelIds.next(), bind.kind(), this, access, relay.config().maxStreamsPerTunnel());
            } while (!relay.tunnels().bind(tunnel));
        }
        tunnels.add(tunnel);
        if (!tcp) {
            tunnel.publishedAt(urls.forTunnel(tunnel.id()));
            bound(ctx, bind, tunnel);
            return;
        }
        Tunnel tcpTunnel = tunnel;
        TcpTunnels.listen(relay, tunnel, bind.port()).addListener(listening -> ctx.executor().execute(() -> {
            if (!listening.isSuccess()) {
                unbind(tcpTunnel);
                refuseBind(ctx, bind, listening.cause().getMessage());
                return;
            }
            Channel listener = (Channel) listening.getNow();
            tcpTunnel.listenOn(listener);
            if (!ctx.channel().isActive()) {
                unbind(tcpTunnel); // the agent left while its port was being found
                return;
            }
            tcpTunnel.publishedAt(urls.forTcp(((InetSocketAddress) listener.localAddress()).getPort()));
            bound(ctx, bind, tcpTunnel);
        }));
    }

    /** Why this session may not have the tunnel it asks for, or null when it may. */
    private String bindProblem(Bind bind) {
        boolean tcp = StreamHeaders.KIND_TCP.equals(bind.kind());
        if (!tcp && !StreamHeaders.KIND_HTTP.equals(bind.kind())) {
            return "tunnel kind '" + bind.kind() + "' is not supported";
        }
        if (tcp && relay.config().tcpPorts() == null) {
            return "this relay has no TCP tunnels (its operator can start it with --tcp-ports FIRST-LAST)";
        }
        if (tcp && (bind.basicAuth() != null || bind.name() != null)) {
            return "TCP tunnels take neither a password nor a name";
        }
        int limit = token != null && token.maxTunnels() != null ? token.maxTunnels() : relay.config().maxTunnelsPerAgent();
        if (tunnels.size() >= limit) {
            return "this agent already holds " + tunnels.size() + " tunnel(s), the most this relay allows it";
        }
        String name = bind.name();
        if (name != null) {
            if (relay.config().domain() == null) {
                return "names need a relay with wildcard DNS (portsicle server --domain D); this one has none";
            }
            String invalid = TunnelIds.nameProblem(name);
            if (invalid != null) {
                return invalid;
            }
            if (token != null && !relay.config().tokens().mayUse(token, name)) {
                return "this token may not use the name '" + name + "'";
            }
        }
        return null;
    }

    private void refuseBind(ChannelHandlerContext ctx, Bind bind, String message) {
        log.info("agent {}: tunnel refused: {}", ctx.channel().remoteAddress(), message);
        ctx.writeAndFlush(new Refused(bind.ref(), message));
    }

    private void bound(ChannelHandlerContext ctx, Bind bind, Tunnel tunnel) {
        log.info("tunnel {} bound by {} at {}{}", tunnel.id(), ctx.channel().remoteAddress(), tunnel.url(),
                bind.resume() != null ? " (resumed)" : "");
        ctx.writeAndFlush(new Bound(bind.ref(), tunnel.id(), tunnel.url(), relay.resumeTokens().issue(tunnel.id())));
    }

    private void unbind(Tunnel tunnel) {
        tunnels.remove(tunnel);
        relay.tunnels().unbind(tunnel);
        tunnel.close();
    }

    private void refuse(ChannelHandlerContext ctx, String message) {
        log.info("agent {} refused: {}", ctx.channel().remoteAddress(), message);
        ctx.writeAndFlush(new Refused(0, message)).addListener(f -> ctx.close());
    }

    private void protocolError(ChannelHandlerContext ctx, String what) {
        log.warn("agent {} disconnected: protocol violation: {}", ctx.channel().remoteAddress(), what);
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        for (Tunnel tunnel : List.copyOf(tunnels)) {
            unbind(tunnel);
            log.info("tunnel {} offline (agent disconnected)", tunnel.id());
        }
    }

    /** The relay opens streams and the agent opens none: any the agent starts are closed at once. */
    @ChannelHandler.Sharable
    private static final class RefuseStreams extends ChannelInboundHandlerAdapter {
        static final RefuseStreams INSTANCE = new RefuseStreams();

        @Override
        public void handlerAdded(ChannelHandlerContext stream) {
            stream.close();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        protocolError(ctx, String.valueOf(cause.getMessage()));
    }
}
