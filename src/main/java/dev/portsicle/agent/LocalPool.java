package dev.portsicle.agent;

import dev.portsicle.net.Forwarding;
import dev.portsicle.net.MessageReads;
import dev.portsicle.net.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.pool.AbstractChannelPoolHandler;
import io.netty.channel.pool.ChannelHealthChecker;
import io.netty.channel.pool.SimpleChannelPool;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;

/**
 * Keep-alive connections to the local server, on the session's own event loop so an exchange never
 * crosses threads. An idle connection keeps a read posted, so one the local server closed is noticed and
 * dropped before anyone reuses it.
 */
final class LocalPool implements AutoCloseable {
    private static final HttpDecoderConfig RESPONSE_DECODER = new HttpDecoderConfig()
            .setMaxInitialLineLength(16 * 1024).setMaxHeaderSize(256 * 1024).setMaxChunkSize(Transport.CHUNK);
    private static final AttributeKey<LocalExchange> EXCHANGE = AttributeKey.valueOf("portsicle.exchange");

    private final SimpleChannelPool pool;

    LocalPool(EventLoop loop, Transport transport, String host, int port) {
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channel(transport.socketChannel())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.RCVBUF_ALLOCATOR, Transport.reads())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .remoteAddress(host, port);
        pool = new SimpleChannelPool(bootstrap, new AbstractChannelPoolHandler() {
            @Override
            public void channelCreated(Channel ch) {
                ch.pipeline().addLast(new HttpClientCodec(RESPONSE_DECODER, false, false));
                MessageReads.addTo(ch.pipeline());
                ch.pipeline().addLast(Forwarding.resumer(), new ResponseHandler());
            }

            @Override
            public void channelReleased(Channel ch) {
                ch.read();
            }
        }, ChannelHealthChecker.ACTIVE, true, true);
    }

    Future<Channel> acquire() {
        return pool.acquire();
    }

    /** Lends {@code local} to {@code exchange}: what the local server sends goes there. */
    static void bind(Channel local, LocalExchange exchange) {
        local.attr(EXCHANGE).set(exchange);
    }

    /** Takes the HTTP handlers off a connection that switched protocols; what is left passes bytes. */
    static void stripHttp(Channel local) {
        local.pipeline().remove(HttpClientCodec.class);
        local.pipeline().remove(ResponseHandler.class);
    }

    /** Gives a connection back after a complete exchange, ready for the next. */
    void release(Channel local) {
        local.attr(EXCHANGE).set(null);
        pool.release(local);
    }

    @Override
    public void close() {
        pool.close();
    }

    /** Hands what the local server sends to the exchange that holds the connection. */
    private static final class ResponseHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            LocalExchange exchange = ctx.channel().attr(EXCHANGE).get();
            if (exchange == null) {
                ReferenceCountUtil.release(msg); // bytes from an idle connection: it cannot be trusted again
                ctx.close();
            } else {
                exchange.fromLocal(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            LocalExchange exchange = ctx.channel().attr(EXCHANGE).getAndSet(null);
            if (exchange != null) {
                exchange.localClosed();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // connection reset and the like: channelInactive tells the exchange
        }
    }
}
