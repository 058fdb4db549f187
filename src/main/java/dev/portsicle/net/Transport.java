package dev.portsicle.net;

import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultEventExecutorChooserFactory;
import io.netty.util.concurrent.EventExecutorChooserFactory;

import java.util.concurrent.Executor;

/** Native epoll on Linux where it loads, NIO everywhere else. */
public enum Transport {
    EPOLL(EpollServerSocketChannel.class, EpollSocketChannel.class),
    NIO(NioServerSocketChannel.class, NioSocketChannel.class);

    private final Class<? extends ServerChannel> serverChannel;
    private final Class<? extends SocketChannel> socketChannel;

    Transport(Class<? extends ServerChannel> serverChannel, Class<? extends SocketChannel> socketChannel) {
        this.serverChannel = serverChannel;
        this.socketChannel = socketChannel;
    }

    /**
     * The most one socket read takes, and so the largest body piece that moves through a tunnel at once
     * (decoders' chunks and HTTP/2 frames are sized to match): big enough that a fast transfer costs a
     * few hand-offs per MiB, not dozens, small enough that a thousand streams in flight fit in memory.
     */
    public static final int CHUNK = 256 * 1024;

    /** Socket reads that grow from small (requests) up to {@link #CHUNK} (bulk transfers). */
    public static RecvByteBufAllocator reads() {
        return new AdaptiveRecvByteBufAllocator(64, 16 * 1024, CHUNK);
    }

    public static Transport best() {
        return Epoll.isAvailable() ? EPOLL : NIO;
    }

    /** {@code threads} 0 means Netty's default, two per core. */
    public EventLoopGroup newGroup(int threads) {
        return newGroup(threads, DefaultEventExecutorChooserFactory.INSTANCE);
    }

    /** The same, with {@code chooser} deciding which loop each new channel joins. */
    public EventLoopGroup newGroup(int threads, EventExecutorChooserFactory chooser) {
        IoHandlerFactory io = this == EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        return new MultiThreadIoEventLoopGroup(threads, (Executor) null, chooser, io);
    }

    public Class<? extends ServerChannel> serverChannel() {
        return serverChannel;
    }

    public Class<? extends SocketChannel> socketChannel() {
        return socketChannel;
    }
}
