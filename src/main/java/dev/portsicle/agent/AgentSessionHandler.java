package dev.portsicle.agent;

import dev.portsicle.net.Forwarding;
import dev.portsicle.net.MessageReads;
import dev.portsicle.net.Transport;
import dev.portsicle.protocol.ControlMessage;
import dev.portsicle.protocol.ControlMessage.Bind;
import dev.portsicle.protocol.ControlMessage.Bound;
import dev.portsicle.protocol.ControlMessage.Hello;
import dev.portsicle.protocol.ControlMessage.Refused;
import dev.portsicle.protocol.ControlMessage.Welcome;
import dev.portsicle.protocol.Heartbeat;
import dev.portsicle.protocol.Multiplexer;
import dev.portsicle.protocol.Protocol;
import dev.portsicle.protocol.StreamBytesCodec;
import dev.portsicle.protocol.StreamHeaders;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * The agent's end of its session: once the WebSocket is up it starts the multiplexer, says hello, binds
 * the tunnel (with its resume token, to get the same URL back) and serves every stream the relay opens.
 */
final class AgentSessionHandler extends ChannelInboundHandlerAdapter {
    /** Request heads arrive from the relay, which already enforced the visitor limits. */
    private static final HttpDecoderConfig REQUEST_DECODER = new HttpDecoderConfig()
            .setMaxInitialLineLength(64 * 1024).setMaxHeaderSize(256 * 1024).setMaxChunkSize(Transport.CHUNK);

    /** What the session tells the {@link Agent}. */
    interface Events {
        void bound(Bound bound);

        void refused(String message);

        void failed(String message, boolean definite);
    }

    private final AgentConfig config;
    private final Transport transport;
    private final Bound resume;
    private final Events events;
    private LocalPool pool;
    private boolean welcomed;
    /** The WebSocket handshake completed: the relay took us for an agent. */
    private boolean upgraded;
    /** A failure of this session was told to {@link #events}: its close needs no word of its own. */
    private boolean reported;
    /** The TLS handshake failed and was reported: what follows (the decoder's exception) is its echo. */
    private boolean tlsFailed;
    private io.netty.channel.Channel channel;

    /** {@code resume} is what the relay said last time (to get the same tunnel back), or null. */
    AgentSessionHandler(AgentConfig config, Transport transport, Bound resume, Events events) {
        this.config = config;
        this.transport = transport;
        this.resume = resume;
        this.events = events;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
            upgraded = true;
            ctx.writeAndFlush(new Hello(Protocol.VERSION));
        } else if (evt instanceof SslHandshakeCompletionEvent tls && !tls.isSuccess()) {
            tlsFailed = true;
            RelayCertificateCheck.Refused refused = causeOf(tls.cause(), RelayCertificateCheck.Refused.class);
            if (refused != null) {
                fail(refused.getMessage(), true); // a definite no, not a network blip
            } else if (causeOf(tls.cause(), NotSslRecordException.class) != null) {
                // its answer would otherwise be logged as a hex dump, again at every retry
                fail("the relay at " + config.server().getAuthority() + " does not speak TLS (it answered "
                        + "in plain text): use http:// (or ws://) for a relay without TLS", true);
            } else {
                fail("TLS handshake with the relay failed: " + tls.cause().getMessage(), false);
            }
        } else if (evt == ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
            fail("the relay did not answer the WebSocket handshake", false);
            ctx.close();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    /** The relay's HTTP/2 bytes follow its welcome: the codec must be in place before we read on. */
    private void welcome(ChannelHandlerContext ctx) {
        Multiplexer.install(ctx.pipeline(), ctx.name(), true, new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel stream) {
                stream.config().setAutoRead(false);
                stream.pipeline().addLast(new StreamBytesCodec());
                if (config.isTcp()) {
                    stream.pipeline().addLast(Forwarding.resumer(), new LocalTcpStream(config, transport));
                } else {
                    stream.pipeline().addLast(new HttpServerCodec(REQUEST_DECODER));
                    MessageReads.addTo(stream.pipeline());
                    stream.pipeline().addLast(Forwarding.resumer(), new LocalExchange(config, pool()));
                }
            }
        }, config.heartbeat(), () -> fail("the relay has been silent for "
                + config.heartbeat().timeoutText(), false));
        AgentConfig.Access access = config.access();
        ctx.writeAndFlush(new Bind(1, config.kind(), resume == null ? null : resume.resume(),
                resume == null ? null : publicPort(resume.url()), config.name(), access.basicAuth(),
                access.allowCidrs(), access.denyCidrs()));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Welcome && !welcomed) {
            welcomed = true;
            welcome(ctx);
        } else if (msg instanceof Bound bound) {
            events.bound(bound);
        } else if (msg instanceof Refused refused) {
            events.refused(refused.message());
            ctx.close();
        } else if (msg instanceof ControlMessage other) {
            fail("the relay sent an unexpected " + other.getClass().getSimpleName(), false);
            ctx.close();
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    /** Keep-alive connections to the local web server, made on first use, on the session's event loop. */
    private LocalPool pool() {
        if (pool == null) {
            pool = new LocalPool(channel.eventLoop(), transport, config.localHost(), config.localPort());
        }
        return pool;
    }

    /** The port of a tcp://host:port address (to ask for it again), or null for other URLs. */
    private static Integer publicPort(String url) {
        return url.startsWith("tcp://") ? Integer.valueOf(url.substring(url.lastIndexOf(':') + 1)) : null;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (pool != null) {
            pool.close();
        }
        if (!upgraded && !reported) {
            // A relay with TLS closes on a plain-text request, with nothing to say: say what it may mean.
            boolean plain = "ws".equals(config.tunnelUri().getScheme());
            fail("the relay at " + config.server().getAuthority() + " closed the connection during the WebSocket handshake"
                 + (plain ? " (a relay with TLS needs https:// or wss://)" : ""), false);
        }
        ctx.fireChannelInactive();
    }

    private void fail(String message, boolean definite) {
        reported = true;
        events.failed(message, definite);
    }

    private static <T extends Throwable> T causeOf(Throwable cause, Class<T> type) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (tlsFailed) {
            ctx.close();
            return;
        }
        if (cause instanceof WebSocketClientHandshakeException handshake) {
            // 4xx: the relay understood and said no (wrong version, bad token): retrying will not help.
            HttpResponse response = handshake.response();
            int status = response == null ? 0 : response.status().code();
            String reason = response == null ? handshake.getMessage()
                    : response.status() + (response.headers().contains(Protocol.REFUSAL_HEADER)
                                           ? ": " + response.headers().get(Protocol.REFUSAL_HEADER) : "");
            fail("the relay refused the connection: " + reason, status >= 400 && status < 500);
        } else {
            fail(String.valueOf(cause.getMessage()), false);
        }
        ctx.close();
    }
}
