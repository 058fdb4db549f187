package dev.portsicle.relay;

import dev.portsicle.net.LingeringClose;
import dev.portsicle.protocol.Protocol;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * One visitor connection: takes requests one at a time (auto-read is off, so the next request is read
 * only when the current exchange is over), answers what the relay answers itself, and hands the rest to
 * an {@link Exchange}. Between exchanges it keeps the last one's stream, for a while, for the next
 * request to the same tunnel. An agent's upgrade request on {@link Protocol#TUNNEL_PATH} turns the
 * connection into a session instead.
 */
final class VisitorHandler extends ChannelInboundHandlerAdapter implements Exchange.Done {
    private static final Logger log = LoggerFactory.getLogger(VisitorHandler.class);

    /** Fired at every visitor connection when the relay drains: an idle one closes. */
    static final Object DRAIN = new Object();
    /** What a visitor of a tunnel whose agent is away is told to wait before trying again. */
    private static final int RECONNECTING_RETRY_AFTER_SECONDS = 5;

    private final RelayContext relay;
    private ChannelHandlerContext ctx;
    private Exchange exchange;
    /** The last exchange's stream, parked in its session until the next request or {@code streamKeep}. */
    private Http2StreamChannel keptStream;
    private Tunnel keptFor;
    private long keptSince;
    private boolean keepTimerSet;

    VisitorHandler(RelayContext relay) {
        this.relay = relay;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        relay.visitors().add(ctx.channel());
        ctx.read();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request) {
            onRequest(request);
        } else if (msg instanceof HttpContent content && exchange != null) {
            exchange.requestContent(content);
        } else {
            ReferenceCountUtil.release(msg);
            ctx.read();
        }
    }

    private void onRequest(HttpRequest request) {
        DecoderResult result = request.decoderResult();
        if (result.isFailure()) {
            answer(request, failureStatus(result.cause()), "The request could not be read: "
                    + result.cause().getMessage(), false);
            return;
        }
        if (request.uri().equals(Protocol.TUNNEL_PATH) || request.uri().startsWith(Protocol.TUNNEL_PATH + "?")) {
            AgentUpgrade.accept(ctx, request, relay);
            return;
        }
        Router.Route route = relay.router().route(request);
        boolean hasBody = HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;
        if (route == null && relay.router().away(request) != null) {
            FullHttpResponse reconnecting = ErrorPages.page(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "Tunnel reconnecting: its agent is not connected right now. It comes back by itself after "
                    + "a network problem or a relay restart; try again in a few seconds.", request.headers());
            reconnecting.headers().setInt(HttpHeaderNames.RETRY_AFTER, RECONNECTING_RETRY_AFTER_SECONDS);
            send(request, reconnecting, !hasBody);
        } else if (route == null) {
            answer(request, HttpResponseStatus.NOT_FOUND, "No tunnel is online at this address. "
                    + "Check the URL your agent printed; tunnels go away when their agent stops.", !hasBody);
        } else if (route.redirect() != null) {
            FullHttpResponse redirect = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.PERMANENT_REDIRECT);
            redirect.headers().set(HttpHeaderNames.LOCATION, route.redirect()).setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
            send(request, redirect, !hasBody);
        } else {
            VisitorAddress visitor = VisitorAddress.of(ctx.channel(), request.headers(), relay.config().trustedProxies());
            Access access = route.tunnel().access();
            if (!access.admits(visitor.ip())) {
                answer(request, HttpResponseStatus.FORBIDDEN, "This tunnel does not take visitors from your address.",
                        !hasBody);
                return;
            }
            if (!access.authorizes(request.headers())) {
                FullHttpResponse page = ErrorPages.page(HttpResponseStatus.UNAUTHORIZED,
                        "This tunnel asks for a user name and password.", request.headers());
                page.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Basic realm=\"portsicle\", charset=\"UTF-8\"");
                send(request, page, !hasBody);
                return;
            }
            String scheme = relay.config().tls() == null ? "http" : "https";
            Http2StreamChannel kept = takeKeptStream(route.tunnel());
            exchange = new Exchange(ctx.channel(), request, route, visitor, scheme, this, kept);
            relay.inFlight().begin();
            relay.affinity().served(route.tunnel().session().channel().eventLoop());
            exchange.start();
        }
    }

    @Override
    public void upgraded() {
        exchange = null;
        // an upgraded connection stays in flight until it closes
        ctx.channel().closeFuture().addListener(f -> relay.inFlight().end());
        ctx.pipeline().remove(HttpServerCodec.class);
        HeaderTimeout.removeFrom(ctx.pipeline());
        ctx.pipeline().remove(IdleStateHandler.class);
        ctx.pipeline().remove(this);
    }

    @Override
    public void streamIdle(Http2StreamChannel stream) {
        keep(stream, exchange.tunnel());
    }

    @Override
    public void exchangeDone(boolean keepAlive) {
        exchange = null;
        relay.inFlight().end();
        if (keepAlive && !relay.inFlight().draining()) {
            ctx.read();
        } else {
            takeKeptStream(null);
            ctx.close();
        }
    }

    private void keep(Http2StreamChannel stream, Tunnel tunnel) {
        if (!tunnel.session().keep(stream, tunnel)) {
            stream.close();
            return;
        }
        keptStream = stream;
        keptFor = tunnel;
        keptSince = System.nanoTime();
        if (!keepTimerSet) {
            keepTimerSet = true;
            ctx.executor().schedule(this::keepTimerFired, relay.config().streamKeep().toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    /** One timer per keep period, not one per exchange: it looks again when the stream was used since. */
    private void keepTimerFired() {
        keepTimerSet = false;
        if (keptStream == null) {
            return;
        }
        long left = keptSince + relay.config().streamKeep().toNanos() - System.nanoTime();
        if (left > 0) {
            keepTimerSet = true;
            ctx.executor().schedule(this::keepTimerFired, left, TimeUnit.NANOSECONDS);
        } else {
            takeKeptStream(null);
        }
    }

    /** The kept stream, when it leads to {@code tunnel} and is still open; any other is closed. */
    private Http2StreamChannel takeKeptStream(Tunnel tunnel) {
        Http2StreamChannel stream = keptStream;
        Tunnel kept = keptFor;
        keptStream = null;
        keptFor = null;
        if (stream == null || !kept.session().take(stream)) {
            return null;
        }
        if (kept == tunnel && stream.isActive()) {
            return stream;
        }
        stream.close();
        return null;
    }

    private void answer(HttpRequest request, HttpResponseStatus status, String detail, boolean keepAlive) {
        send(request, ErrorPages.page(status, detail, request.headers()), keepAlive);
    }

    /** Sends a response of the relay's own; the request's body, if any, is not read, so we close then. */
    private void send(HttpRequest request, FullHttpResponse response, boolean keepAlive) {
        keepAlive &= HttpUtil.isKeepAlive(request) && request.decoderResult().isSuccess();
        HttpUtil.setKeepAlive(response.headers(), request.protocolVersion(), keepAlive);
        if (keepAlive) {
            // Skip the empty last content of a bodiless request, then read the next request.
            ctx.writeAndFlush(response);
            ctx.read();
        } else {
            LingeringClose.after(ctx.writeAndFlush(response));
        }
    }

    private static HttpResponseStatus failureStatus(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return HttpResponseStatus.REQUEST_URI_TOO_LONG;
        }
        if (cause instanceof TooLongHttpHeaderException || cause instanceof TooLongFrameException) {
            return HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
        }
        return HttpResponseStatus.BAD_REQUEST;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == DRAIN) {
            if (exchange == null) {
                ctx.close();
            }
        } else if (evt instanceof HeaderTimeout.Expired expired) {
            if (exchange == null) {
                headerTimedOut(expired);
            }
        } else if (evt instanceof IdleStateEvent) {
            if (exchange == null) {
                ctx.close(); // an idle keep-alive connection; a request in flight is never cut off
            }
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    /** Slowloris, or a connection that never sent a request: a partial head gets a 408, then we close. */
    private void headerTimedOut(HeaderTimeout.Expired expired) {
        log.debug("visitor {}: no request head within {} s", ctx.channel().remoteAddress(),
                expired.timeout().toSeconds());
        if (!expired.partial()) {
            ctx.close();
            return;
        }
        FullHttpResponse page = ErrorPages.page(HttpResponseStatus.REQUEST_TIMEOUT, "The request head did not "
                + "arrive within " + expired.timeout().toSeconds() + " s.", null);
        HttpUtil.setKeepAlive(page, false);
        LingeringClose.after(ctx.writeAndFlush(page));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        takeKeptStream(null);
        if (exchange != null) {
            exchange.visitorGone();
            exchange = null;
            relay.inFlight().end();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("visitor {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
