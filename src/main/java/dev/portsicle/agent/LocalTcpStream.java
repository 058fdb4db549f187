package dev.portsicle.agent;

import dev.portsicle.net.BytePipe;
import dev.portsicle.net.Forwarding;
import dev.portsicle.net.MessageReads;
import dev.portsicle.net.Transport;
import dev.portsicle.protocol.StreamBytesCodec;
import dev.portsicle.protocol.StreamHeaders;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.ConnectException;

/**
 * One stream of a tcp tunnel: a fresh connection to the local service, answered 200 once connected
 * (or 502 with the reason), then raw bytes both ways with half-closes carried across.
 */
final class LocalTcpStream extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger("portsicle");

    private final AgentConfig config;
    private final Transport transport;

    LocalTcpStream(AgentConfig config, Transport transport) {
        this.config = config;
        this.transport = transport;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.read(); // the opening HEADERS
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Http2HeadersFrame headers)) {
            ReferenceCountUtil.release(msg);
            ctx.close();
            return;
        }
        Channel stream = ctx.channel();
        String visitor = StreamHeaders.Open.of(headers.headers()).visitor();
        new Bootstrap()
                .group(stream.eventLoop())
                .channel(transport.socketChannel())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.RCVBUF_ALLOCATOR, Transport.reads())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        MessageReads.addTo(ch.pipeline()); // keeps a half-close behind the bytes before it
                        ch.pipeline().addLast(Forwarding.resumer());
                    }
                })
                .connect(config.localHost(), config.localPort())
                .addListener((ChannelFutureListener) connected -> {
                    if (!connected.isSuccess()) {
                        String why = connected.cause() instanceof ConnectException ? "connection refused"
                                : String.valueOf(connected.cause().getMessage());
                        log.info("tcp {} -> {} failed: {}", visitor, config.localAuthority(), why);
                        stream.writeAndFlush(new DefaultHttp2HeadersFrame(new StreamHeaders.Answer(502,
                                "the local service at " + config.localAuthority() + " is unreachable (" + why + ")")
                                .toHeaders(), true));
                        return;
                    }
                    log.info("tcp connection from {}", visitor);
                    stream.writeAndFlush(new DefaultHttp2HeadersFrame(StreamHeaders.Answer.CONNECTED.toHeaders()));
                    stream.pipeline().remove(this);
                    BytePipe.join(stream, StreamBytesCodec.PIPE_END, connected.channel(), BytePipe.End.SOCKET);
                });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
