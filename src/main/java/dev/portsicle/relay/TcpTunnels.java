package dev.portsicle.relay;

import dev.portsicle.net.BytePipe;
import dev.portsicle.net.Forwarding;
import dev.portsicle.net.MessageReads;
import dev.portsicle.net.Transport;
import dev.portsicle.protocol.StreamBytesCodec;
import dev.portsicle.protocol.StreamHeaders;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.channel.ChannelFutureListener;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Public TCP ports for tcp tunnels: each tunnel gets a port from the relay's range, and every connection
 * to that port becomes a stream of the agent's session carrying raw bytes both ways, half-closes included.
 */
final class TcpTunnels {
    private static final Logger log = LoggerFactory.getLogger(TcpTunnels.class);

    private TcpTunnels() {
    }

    /**
     * Listens for {@code tunnel} on {@code wanted} if it is free and in range (an agent getting its port
     * back), else on the first free port from a random point of the range; fails when all are taken.
     */
    static Future<Channel> listen(RelayContext relay, Tunnel tunnel, Integer wanted) {
        PortRange range = relay.config().tcpPorts();
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(relay.group())
                .channel(relay.transport().serverChannel())
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, Transport.reads())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        // Bytes and a half-close may come before the agent answered (epoll reads a
                        // half-closed socket even with auto-read off): they wait here, in order.
                        relay.visitors().add(ch); // closed with the relay, like HTTP visitors
                        MessageReads.addTo(ch.pipeline());
                        ch.pipeline().addLast(Forwarding.resumer(), new Visitor(tunnel));
                    }
                });
        List<Integer> candidates = new ArrayList<>();
        if (wanted != null && range.contains(wanted)) {
            candidates.add(wanted);
        }
        int start = ThreadLocalRandom.current().nextInt(range.size());
        for (int i = 0; i < range.size(); i++) {
            candidates.add(range.first() + (start + i) % range.size());
        }
        Promise<Channel> listening = relay.group().next().newPromise();
        bindFirstFree(bootstrap, relay.config().bindHost(), candidates.iterator(), listening);
        return listening;
    }

    /** Binds the next candidate port, moving on while a port is taken (without blocking an event loop). */
    private static void bindFirstFree(ServerBootstrap bootstrap, String host, Iterator<Integer> ports,
                                      Promise<Channel> listening) {
        if (!ports.hasNext()) {
            listening.tryFailure(new IllegalStateException("no free port left in the relay's TCP range"));
            return;
        }
        bootstrap.bind(host, ports.next()).addListener((ChannelFutureListener) bound -> {
            if (bound.isSuccess()) {
                listening.trySuccess(bound.channel());
            } else {
                bindFirstFree(bootstrap, host, ports, listening);
            }
        });
    }

    /** One visitor connection: a stream is opened for it, and joined once the agent reached its local port. */
    private static final class Visitor extends ChannelInboundHandlerAdapter {
        private final Tunnel tunnel;
        private Http2StreamChannel stream;

        Visitor(Tunnel tunnel) {
            this.tunnel = tunnel;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Channel visitor = ctx.channel();
            InetSocketAddress from = (InetSocketAddress) visitor.remoteAddress();
            if (!tunnel.access().admits(from.getAddress())) {
                log.info("{} tcp connection from {} refused: address not allowed", tunnel.id(), from);
                visitor.close();
                return;
            }
            tunnel.openStream(new ChannelInitializer<Http2StreamChannel>() {
                @Override
                protected void initChannel(Http2StreamChannel ch) {
                    ch.pipeline().addLast(new StreamBytesCodec(), Forwarding.resumer(), new Answer(visitor));
                }
            }).addListener(opened -> {
                if (!opened.isSuccess()) {
                    log.info("{} tcp connection from {} refused: {}", tunnel.id(), from, opened.cause().getMessage());
                    visitor.close();
                    return;
                }
                stream = (Http2StreamChannel) opened.getNow();
                String address = from.getAddress().getHostAddress() + ":" + from.getPort();
                stream.writeAndFlush(new DefaultHttp2HeadersFrame(
                        new StreamHeaders.Open(StreamHeaders.KIND_TCP, tunnel.id(), address).toHeaders()));
                stream.read();
            });
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (stream != null && ctx.pipeline().get(Visitor.class) == this) {
                stream.close(); // gone before the agent answered
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Waits for the agent's answer on the stream: connected means join, anything else means close. */
    private static final class Answer extends ChannelInboundHandlerAdapter {
        private final Channel visitor;

        Answer(Channel visitor) {
            this.visitor = visitor;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof Http2HeadersFrame headers)) {
                ReferenceCountUtil.release(msg);
                ctx.close();
                visitor.close();
                return;
            }
            StreamHeaders.Answer answer = StreamHeaders.Answer.of(headers.headers());
            if (!answer.connected()) {
                log.info("tcp connection from {} closed: {}", visitor.remoteAddress(), answer.error());
                ctx.close();
                visitor.close();
                return;
            }
            ctx.pipeline().remove(this);
            visitor.pipeline().remove(Visitor.class);
            BytePipe.join(visitor, BytePipe.End.SOCKET, ctx.channel(), StreamBytesCodec.PIPE_END);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            visitor.close();
        }
    }
}
