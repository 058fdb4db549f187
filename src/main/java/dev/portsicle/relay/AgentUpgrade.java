package dev.portsicle.relay;

import dev.portsicle.net.LingeringClose;
import dev.portsicle.net.MessageReads;
import dev.portsicle.protocol.FrameUnmasker;
import dev.portsicle.protocol.Protocol;
import dev.portsicle.protocol.WebSocketBytesCodec;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.timeout.IdleStateHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;

/** Turns a visitor connection that asked for {@link Protocol#TUNNEL_PATH} into an agent session. */
final class AgentUpgrade {
    private static final Logger log = LoggerFactory.getLogger(AgentUpgrade.class);

    static void accept(ChannelHandlerContext ctx, HttpRequest request, RelayContext relay) {
        String version = request.headers().get(Protocol.VERSION_HEADER);
        if (!String.valueOf(Protocol.VERSION).equals(version)) {
            refuse(ctx, request, HttpResponseStatus.BAD_REQUEST, version == null
                    ? "This is a Portsicle relay; agents connect here with the portsicle command."
                    : "Protocol version " + version + " is not supported (this relay speaks " + Protocol.VERSION
                      + "): update portsicle.");
            return;
        }
        AgentTokens tokens = relay.config().tokens();
        AgentTokens.Token token = null;
        if (tokens != null) {
            String presented = bearer(request.headers().get(Protocol.TOKEN_HEADER));
            token = presented == null ? null : tokens.find(presented);
            if (token == null) {
                log.info("agent from {} refused: {}", ctx.channel().remoteAddress(),
                        presented == null ? "no token" : "unknown token");
                refuse(ctx, request, HttpResponseStatus.UNAUTHORIZED, presented == null
                        ? "This relay needs an agent token: pass --token or set PORTSICLE_TOKEN."
                        : "The relay does not accept this agent token.");
                return;
            }
        }
        Channel channel = ctx.channel();
        WebSocketServerHandshaker handshaker = new WebSocketServerHandshakerFactory(
                "ws://" + request.headers().get(HttpHeaderNames.HOST) + Protocol.TUNNEL_PATH, null, false,
                Protocol.MAX_WEBSOCKET_FRAME).newHandshaker(request);
        if (handshaker == null) {
            refuse(ctx, request, HttpResponseStatus.UPGRADE_REQUIRED, "Agents connect with a WebSocket upgrade.");
            return;
        }
        AgentTokens.Token sessionToken = token;
        PublicUrls urls = PublicUrls.of(relay.config(), request, authority(channel));
        DefaultFullHttpRequest full = new DefaultFullHttpRequest(request.protocolVersion(), request.method(),
                request.uri(), Unpooled.EMPTY_BUFFER, request.headers(), EmptyHttpHeaders.INSTANCE);
        handshaker.handshake(channel, full).addListener((ChannelFutureListener) done -> {
            if (!done.isSuccess()) {
                log.debug("agent handshake with {} failed: {}", channel.remoteAddress(), done.cause().toString());
                channel.close();
                return;
            }
            ChannelPipeline pipeline = channel.pipeline();
            pipeline.remove(MessageReads.class);
            pipeline.remove(IdleStateHandler.class);
            pipeline.remove(FlushConsolidationHandler.class); // the session's multiplexer brings its own
            HeaderTimeout.removeFrom(pipeline);
            pipeline.remove(VisitorHandler.class);
            pipeline.addBefore(pipeline.context(WebSocketFrameDecoder.class).name(), null, new FrameUnmasker());
            pipeline.addLast(new WebSocketFrameAggregator(Protocol.MAX_WEBSOCKET_FRAME),
                    new WebSocketBytesCodec(),
                    new AgentSession(relay, urls, sessionToken));
            // A session reads freely: HTTP/2 flow control bounds what each stream may send.
            channel.config().setAutoRead(true);
            log.info("agent connected from {}{}", channel.remoteAddress(), sessionToken == null ? "" : " as " + sessionToken.user());
        });
    }

    private static void refuse(ChannelHandlerContext ctx, HttpRequest request, HttpResponseStatus status,
                               String detail) {
        FullHttpResponse page = ErrorPages.page(status, detail, request.headers());
        page.headers().set(Protocol.REFUSAL_HEADER, detail); // the agent prints it: it cannot see the body
        HttpUtil.setKeepAlive(page.headers(), request.protocolVersion(), false);
        LingeringClose.after(ctx.writeAndFlush(page));
    }

    /** The token of an {@code Authorization: Bearer TOKEN} header, or null. */
    private static String bearer(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = authorization.substring(7).trim();
        return token.isEmpty() ? null : token;
    }

    private static String authority(Channel channel) {
        InetSocketAddress local = (InetSocketAddress) channel.localAddress();
        return local.getAddress().getHostAddress() + ":" + local.getPort();
    }

    private AgentUpgrade() {
    }
}
