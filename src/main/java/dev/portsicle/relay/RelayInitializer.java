package dev.portsicle.relay;

import dev.portsicle.net.Transport;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flush.FlushConsolidationHandler;
import dev.portsicle.net.Forwarding;
import dev.portsicle.net.MessageReads;
import io.netty.handler.timeout.IdleStateHandler;

import java.util.concurrent.TimeUnit;

/** The pipeline of every accepted connection; see the package documentation for the order. */
final class RelayInitializer extends ChannelInitializer<SocketChannel> {
    private static final String CODEC = "http-codec";
    private final RelayContext relay;
    private final HttpDecoderConfig decoder;

    RelayInitializer(RelayContext relay) {
        this.relay = relay;
        RelayConfig config = relay.config();
        this.decoder = new HttpDecoderConfig()
                .setMaxInitialLineLength(config.maxInitialLine())
                .setMaxHeaderSize(config.maxHeadSize())
                .setMaxChunkSize(Transport.CHUNK);
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        RelayTls tls = relay.config().tls();
        if (tls != null) {
            ch.pipeline().addLast(tls.context().newHandler(ch.alloc()));
        }
        // A response arrives from its stream in pieces (head, body, end), each flushed: flushing once per
        // event-loop turn sends them in one write (and one TLS record) instead of one each.
        ch.pipeline().addLast(
                new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
        // The idle clock watches the socket itself, below the codec, where every read ends in a read-complete.
        ch.pipeline().addLast(
                new IdleStateHandler(0, 0, relay.config().idleTimeout().toMillis(), TimeUnit.MILLISECONDS));
        ch.pipeline().addLast(CODEC, new HttpServerCodec(decoder));
        new HeaderTimeout(relay.config().headerTimeout()).addAround(ch.pipeline(), CODEC);
        MessageReads.addWithReadAheadTo(ch.pipeline());
        ch.pipeline().addLast(Forwarding.resumer(), new VisitorHandler(relay));
    }
}
