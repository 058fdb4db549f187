package dev.portsicle.protocol;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Liveness of a session, both ways: when nothing was sent for {@link #INTERVAL} we send an HTTP/2 PING
 * (the peer acks it by itself), and when nothing at all was received for {@link #TIMEOUT} the peer is
 * frozen or the network is gone, so the session is closed (the agent then reconnects, the relay drops
 * the tunnels). Traffic of any kind counts, so a busy session never pings.
 */
public final class Heartbeat extends IdleStateHandler {
    public static final Duration INTERVAL = Duration.ofSeconds(10);
    public static final Duration TIMEOUT = Duration.ofSeconds(30);

    /**
     * When to ping and when to give up: {@link #DEFAULT} unless a relay's or agent's config says otherwise
     * (tests shorten it). The timeout should be a few intervals, so several PINGs fit in it.
     */
    public record Timing(Duration interval, Duration timeout) {
        public static final Timing DEFAULT = new Timing(INTERVAL, TIMEOUT);

        public Timing {
            if (interval.isNegative() || interval.isZero() || timeout.compareTo(interval) <= 0) {
                throw new IllegalArgumentException("heartbeat timeout (" + timeout + ") must be longer than its "
                                                   + "interval (" + interval + "), both positive");
            }
        }

        /** The timeout for log lines: "30 s", "1.5 s". */
        public String timeoutText() {
            long millis = timeout.toMillis();
            return (millis % 1000 == 0 ? Long.toString(millis / 1000) : Double.toString(millis / 1000.0)) + " s";
        }
    }

    private final Runnable onTimeout;

    public Heartbeat(Timing timing, Runnable onTimeout) {
        super(timing.timeout().toMillis(), timing.interval().toMillis(), 0, TimeUnit.MILLISECONDS);
        this.onTimeout = onTimeout;
    }

    @Override
    protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent evt) {
        if (evt.state() == IdleState.WRITER_IDLE) {
            ctx.writeAndFlush(new DefaultHttp2PingFrame(System.nanoTime()));
        } else if (evt.state() == IdleState.READER_IDLE) {
            onTimeout.run();
            ctx.close();
        }
    }
}
