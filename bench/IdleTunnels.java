import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.util.ReferenceCountUtil;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Many idle agents for a relay: each opens its own session (WebSocket), says hello, binds its http
 * tunnels, and then only answers what keeps a session alive (HTTP/2 SETTINGS and PING acks). Used by
 * bench/idle-tunnels.sh to see what N idle tunnels cost a relay.
 *
 * <p>They stand for agents on other machines, so they should take as little of this one as they can:
 * one Netty event loop for all of them (built against target/portsicle.jar, which carries Netty), a
 * few objects per session. The JDK's WebSocket client, used before, took 240-280 ms of CPU inside the
 * busy tunnel's stalls of one 10 s run (bench/gap-cpu.py), and its memory made the kernel's DAMON
 * work longer.
 *
 * <p>Usage: {@code java -cp CLASSES:target/portsicle.jar IdleTunnels RELAY_PORT COUNT HOLD_SECONDS
 * PROTOCOL_VERSION [PER_SESSION]}: COUNT tunnels, PER_SESSION (default 1) on each session. Prints "bound
 * N of COUNT" when all are bound (or what failed), keeps them for HOLD_SECONDS, then prints how many
 * were still up.
 */
public final class IdleTunnels {
    private static final int IN_FLIGHT = 200; // handshakes at once
    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(); // from the relay, the client
    private static final int SETTINGS = 4;
    private static final int PING = 6;
    private static final int ACK = 1;

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int count = Integer.parseInt(args[1]);
        long holdSeconds = Long.parseLong(args[2]);
        int protocolVersion = Integer.parseInt(args[3]);
        int perSession = args.length > 4 ? Integer.parseInt(args[4]) : 1;
        if (perSession < 1 || count % perSession != 0) {
            throw new IllegalArgumentException("PER_SESSION must be at least 1 and divide COUNT");
        }
        boolean epoll = Epoll.isAvailable();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        WebSocketClientProtocolConfig handshake = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(URI.create("ws://127.0.0.1:" + port + "/_portsicle/tunnel"))
                .customHeaders(new DefaultHttpHeaders().set("Portsicle-Protocol", protocolVersion))
                .maxFramePayloadLength(1 << 20)
                .handshakeTimeoutMillis(10_000)
                .build();
        Semaphore inFlight = new Semaphore(IN_FLIGHT);
        List<Session> sessions = new ArrayList<>();
        AtomicInteger failed = new AtomicInteger();
        long start = System.nanoTime();
        for (int i = 0; i < count / perSession; i++) {
            inFlight.acquire();
            Session session = new Session(protocolVersion, perSession);
            sessions.add(session);
            session.bound.whenComplete((ok, e) -> {
                if (e != null && failed.incrementAndGet() <= 3) {
                    System.out.println("failed: " + e);
                }
                inFlight.release();
            });
            new Bootstrap().group(group).channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(64 * 1024),
                                    new WebSocketClientProtocolHandler(handshake), session);
                        }
                    })
                    .connect("127.0.0.1", port)
                    .addListener(f -> {
                        if (!f.isSuccess()) {
                            session.bound.completeExceptionally(f.cause());
                        }
                    });
        }
        inFlight.acquire(IN_FLIGHT); // all answered
        long bound = sessions.stream().filter(s -> !s.bound.isCompletedExceptionally()).count() * perSession;
        System.out.printf("bound %d of %d in %.1f s (%d sessions)%n", bound, count, (System.nanoTime() - start) / 1e9,
                          sessions.size());
        System.out.flush();
        TimeUnit.SECONDS.sleep(holdSeconds);
        long up = sessions.stream().filter(s -> !s.bound.isCompletedExceptionally() && s.closed == null).count()
                  * perSession;
        System.out.printf("still up after %d s: %d%n", holdSeconds, up);
        System.exit(0);
    }

    /** One idle agent: its session's handler, with just enough HTTP/2 to stay alive. */
    private static final class Session extends ChannelInboundHandlerAdapter {
        final CompletableFuture<Void> bound = new CompletableFuture<>();
        volatile String closed;
        private final int protocolVersion;
        private final int tunnels;
        private int boundSoFar;
        private ByteBuf h2;
        private boolean prefaceSeen;

        Session(int protocolVersion, int tunnels) {
            this.protocolVersion = protocolVersion;
            this.tunnels = tunnels;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                ctx.writeAndFlush(new TextWebSocketFrame("{\"type\":\"hello\",\"version\":" + protocolVersion + "}"));
            } else if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
                bound.completeExceptionally(new IllegalStateException("WebSocket handshake timed out"));
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof TextWebSocketFrame text) {
                    control(ctx.channel(), text.text());
                } else if (msg instanceof BinaryWebSocketFrame binary) {
                    http2(ctx.channel(), binary.content());
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void control(Channel ch, String message) {
            if (message.contains("\"welcome\"")) {
                ch.write(frame(SETTINGS, 0, Unpooled.EMPTY_BUFFER)); // the HTTP/2 server preface
                for (int ref = 1; ref <= tunnels; ref++) {
                    ch.write(new TextWebSocketFrame("{\"type\":\"bind\",\"ref\":" + ref + ",\"kind\":\"http\"}"));
                }
                ch.flush();
            } else if (message.contains("\"bound\"")) {
                if (++boundSoFar == tunnels) {
                    bound.complete(null);
                }
            } else {
                bound.completeExceptionally(new IllegalStateException(message));
            }
        }

        /** HTTP/2 bytes from the relay: SETTINGS and PINGs are acked, everything else is skipped. */
        private void http2(Channel ch, ByteBuf data) {
            if (h2 == null) {
                h2 = ch.alloc().heapBuffer();
            }
            h2.writeBytes(data);
            if (!prefaceSeen && h2.readableBytes() >= PREFACE.length) {
                h2.skipBytes(PREFACE.length);
                prefaceSeen = true;
            }
            boolean acked = false;
            while (prefaceSeen && h2.readableBytes() >= 9) {
                int length = h2.getUnsignedMedium(h2.readerIndex());
                if (h2.readableBytes() < 9 + length) {
                    break;
                }
                int type = h2.getUnsignedByte(h2.readerIndex() + 3);
                int flags = h2.getUnsignedByte(h2.readerIndex() + 4);
                ByteBuf payload = h2.slice(h2.readerIndex() + 9, length);
                if ((type == SETTINGS || type == PING) && (flags & ACK) == 0) {
                    ch.write(frame(type, ACK, type == PING ? payload : Unpooled.EMPTY_BUFFER));
                    acked = true;
                }
                h2.skipBytes(9 + length);
            }
            h2.discardReadBytes();
            if (acked) {
                ch.flush();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            closed = "closed";
            bound.completeExceptionally(new IllegalStateException("closed before all tunnels were bound"));
            if (h2 != null) {
                h2.release();
                h2 = null;
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            closed = String.valueOf(cause);
            bound.completeExceptionally(cause);
            ctx.close();
        }

        /** An HTTP/2 frame on stream 0, in a WebSocket frame of its own. */
        private static BinaryWebSocketFrame frame(int type, int flags, ByteBuf payload) {
            ByteBuf frame = Unpooled.buffer(9 + payload.readableBytes());
            frame.writeMedium(payload.readableBytes()).writeByte(type).writeByte(flags).writeInt(0);
            return new BinaryWebSocketFrame(frame.writeBytes(payload));
        }
    }
}
