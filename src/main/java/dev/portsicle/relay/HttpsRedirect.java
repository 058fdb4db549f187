package dev.portsicle.relay;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.ReadTimeoutHandler;

import java.net.URI;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The plain-HTTP port of a TLS relay: every request gets a 308 to the same host and target on https://,
 * then the connection closes. Nothing here reaches a tunnel.
 */
final class HttpsRedirect extends SimpleChannelInboundHandler<HttpObject> {
    /** A host name, an IPv4 address or a bracketed IPv6 one, with an optional port: nothing else goes into Location. */
    private static final Pattern HOST = Pattern.compile("([A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+])(:\\d{1,5})?");

    private final String portSuffix;

    private HttpsRedirect(int httpsPort) {
        this.portSuffix = httpsPort == 443 ? "" : ":" + httpsPort;
    }

    static ChannelInitializer<SocketChannel> initializer(RelayConfig config, int relayPort) {
        int httpsPort = httpsPort(config, relayPort);
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(
                        new ReadTimeoutHandler(config.idleTimeout().toMillis(), TimeUnit.MILLISECONDS),
                        new HttpServerCodec(),
                        new HttpsRedirect(httpsPort));
            }
        };
    }

    /** Where visitors reach HTTPS: the public URL's port when one is set (a port mapping), else the relay's. */
    private static int httpsPort(RelayConfig config, int relayPort) {
        if (config.publicUrl() == null) {
            return relayPort;
        }
        URI publicUrl = URI.create(config.publicUrl());
        return publicUrl.getPort() != -1 ? publicUrl.getPort() : 443;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
        if (!(msg instanceof HttpRequest request)) {
            return; // a body: the connection closes after the answer anyway
        }
        String host = request.headers().get(HttpHeaderNames.HOST);
        FullHttpResponse response;
        if (host == null || !HOST.matcher(host).matches()) {
            response = ErrorPages.page(HttpResponseStatus.BAD_REQUEST,
                    "This port redirects to HTTPS and needs a valid Host header.", request.headers());
        } else {
            String target = request.uri().startsWith("/") ? request.uri() : "/";
            response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.PERMANENT_REDIRECT);
            response.headers()
                    .set(HttpHeaderNames.LOCATION, "https://" + hostOnly(host) + portSuffix + target)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        }
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    private static String hostOnly(String host) {
        int colon = host.lastIndexOf(':');
        return colon > host.lastIndexOf(']') ? host.substring(0, colon) : host;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close(); // a timeout or a reset: nothing worth a log line on a redirect port
    }
}
