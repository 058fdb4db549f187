package dev.portsicle.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on loopback that plays the network between an agent and its relay, and can fail the way
 * networks do:
 * <ul>
 *   <li>{@link #blackHole()}: a silent cut. Nothing is forwarded any more and nothing is closed; bytes
 *       wait where they are (as TCP would keep retransmitting them), new connections are accepted and
 *       hang the same way. Only the endpoints' own timeouts can tell.</li>
 *   <li>{@link #hardCut()}: every connection through the proxy is closed at once, and new ones are
 *       closed as soon as they are accepted (as if refused).</li>
 *   <li>{@link #restore()}: the path is back; held bytes flow on, new connections are forwarded.</li>
 * </ul>
 */
public final class CuttableProxy implements AutoCloseable {
    private enum State { FORWARDING, BLACK_HOLE, CUT }

    private final ServerSocket server;
    private final InetSocketAddress upstream;
    private final ExecutorService threads;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private final Object lock = new Object();
    private State state = State.FORWARDING;

    private CuttableProxy(ServerSocket server, InetSocketAddress upstream) {
        this.server = server;
        this.upstream = upstream;
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "proxy-" + server.getLocalPort() + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        threads.execute(this::acceptLoop);
    }

    /** Listens on a free loopback port and forwards to {@code 127.0.0.1:upstreamPort}. */
    public static CuttableProxy to(int upstreamPort) throws IOException {
        return new CuttableProxy(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()),
                new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort));
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Connections accepted so far (each agent attempt is one). */
    public int connectionsAccepted() {
        return accepted.get();
    }

    public void blackHole() {
        set(State.BLACK_HOLE);
    }

    public void hardCut() {
        set(State.CUT);
        for (Socket socket : sockets) {
            closeQuietly(socket);
        }
    }

    public void restore() {
        set(State.FORWARDING);
    }

    private void set(State next) {
        synchronized (lock) {
            state = next;
            lock.notifyAll();
        }
    }

    /** Waits while the path is black-holed; false when it is cut (the caller closes). */
    private boolean awaitPath() throws InterruptedException {
        synchronized (lock) {
            while (state == State.BLACK_HOLE) {
                lock.wait();
            }
            return state == State.FORWARDING;
        }
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            accepted.incrementAndGet();
            sockets.add(client);
            threads.execute(() -> connect(client));
        }
    }

    private void connect(Socket client) {
        Socket up = null;
        try {
            if (!awaitPath()) {
                closeQuietly(client);
                return;
            }
            up = new Socket();
            sockets.add(up);
            up.connect(upstream, 5_000);
            Socket upSocket = up;
            threads.execute(() -> pump(client, upSocket));
            threads.execute(() -> pump(upSocket, client));
        } catch (IOException | InterruptedException e) {
            closeQuietly(client);
            if (up != null) {
                closeQuietly(up);
            }
        }
    }

    /**
     * Copies {@code from} to {@code to}. Each chunk, and the end of the stream, waits out a black hole
     * before it is passed on, so a black hole stays silent both ways.
     */
    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            while (true) {
                int n;
                try {
                    n = in.read(buffer);
                } catch (IOException e) {
                    n = -1; // reset: passed on like an end
                }
                if (!awaitPath() || n < 0) {
                    break;
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // the other side went away: so does this one
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // already closed
        }
        sockets.remove(socket);
    }

    @Override
    public void close() throws IOException {
        server.close();
        restore(); // lets held pumps run into their closed sockets
        for (Socket socket : sockets) {
            closeQuietly(socket);
        }
        threads.shutdownNow();
    }
}
