import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Many idle agents for a relay: each opens its own session (WebSocket), says hello, binds its http
 * tunnels, and then only answers what keeps a session alive (HTTP/2 SETTINGS and PING acks). Used by
 * bench/idle-tunnels.sh to see what N idle tunnels cost a relay.
 *
 * <p>Usage: {@code java IdleTunnels.java RELAY_PORT COUNT HOLD_SECONDS PROTOCOL_VERSION [PER_SESSION]}:
 * COUNT tunnels, PER_SESSION (default 1) on each session. Prints "bound N of COUNT" when all are bound
 * (or what failed), keeps them for HOLD_SECONDS, then prints how many were still up.
 */
public final class IdleTunnels {
    private static final int IN_FLIGHT = 200; // handshakes at once
    /** The relay's protocol version (args[3], from {@code portsicle --version}): a mismatch binds nothing. */
    private static int protocolVersion;

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int count = Integer.parseInt(args[1]);
        long holdSeconds = Long.parseLong(args[2]);
        protocolVersion = Integer.parseInt(args[3]);
        int perSession = args.length > 4 ? Integer.parseInt(args[4]) : 1;
        if (perSession < 1 || count % perSession != 0) {
            throw new IllegalArgumentException("PER_SESSION must be at least 1 and divide COUNT");
        }
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        URI uri = URI.create("ws://127.0.0.1:" + port + "/_portsicle/tunnel");
        Semaphore inFlight = new Semaphore(IN_FLIGHT);
        List<Session> sessions = new ArrayList<>();
        AtomicInteger failed = new AtomicInteger();
        long start = System.nanoTime();
        for (int i = 0; i < count / perSession; i++) {
            inFlight.acquire();
            Session session = new Session(perSession);
            sessions.add(session);
            session.bound.whenComplete((url, e) -> {
                if (e != null && failed.incrementAndGet() <= 3) {
                    System.out.println("failed: " + e);
                }
                inFlight.release();
            });
            client.newWebSocketBuilder().header("Portsicle-Protocol", Integer.toString(protocolVersion))
                    .buildAsync(uri, session)
                    .whenComplete((ws, e) -> {
                        if (e != null) {
                            session.bound.completeExceptionally(e);
                        }
                    });
        }
        inFlight.acquire(IN_FLIGHT); // all answered
        long bound = sessions.stream().filter(s -> !s.bound.isCompletedExceptionally()).count() * perSession;
        System.out.printf("bound %d of %d in %.1f s (%d sessions)%n", bound, count, (System.nanoTime() - start) / 1e9,
                          sessions.size());
        System.out.flush();
        TimeUnit.SECONDS.sleep(holdSeconds);
        long up = sessions.stream().filter(s -> !s.bound.isCompletedExceptionally() && s.closed.isEmpty()).count()
                  * perSession;
        System.out.printf("still up after %d s: %d%n", holdSeconds, up);
        System.exit(0);
    }

    /** One idle agent: its WebSocket listener, with just enough HTTP/2 to stay alive. */
    private static final class Session implements WebSocket.Listener {
        final CompletableFuture<String> bound = new CompletableFuture<>();
        final List<String> closed = new ArrayList<>();
        private final int tunnels;
        private int boundSoFar;
        private final StringBuilder text = new StringBuilder();
        private ByteBuffer h2 = ByteBuffer.allocate(0);
        private boolean prefaceSeen;
        private CompletableFuture<?> sending = CompletableFuture.completedFuture(null);

        Session(int tunnels) {
            this.tunnels = tunnels;
        }

        @Override
        public void onOpen(WebSocket ws) {
            send(ws, "{\"type\":\"hello\",\"version\":" + protocolVersion + "}");
            ws.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                String message = text.toString();
                text.setLength(0);
                if (message.contains("\"welcome\"")) {
                    send(ws, frame(4, 0, new byte[0])); // our SETTINGS: the HTTP/2 server preface
                    for (int ref = 1; ref <= tunnels; ref++) {
                        send(ws, "{\"type\":\"bind\",\"ref\":" + ref + ",\"kind\":\"http\"}");
                    }
                } else if (message.contains("\"bound\"")) {
                    if (++boundSoFar == tunnels) {
                        bound.complete(message);
                    }
                } else {
                    bound.completeExceptionally(new IllegalStateException(message));
                }
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            ByteBuffer joined = ByteBuffer.allocate(h2.remaining() + data.remaining());
            joined.put(h2).put(data).flip();
            h2 = joined;
            if (!prefaceSeen && h2.remaining() >= 24) {
                h2.position(h2.position() + 24); // "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" from the relay, the client
                prefaceSeen = true;
            }
            while (prefaceSeen && h2.remaining() >= 9) {
                int length = (h2.get(h2.position()) & 0xff) << 16 | (h2.get(h2.position() + 1) & 0xff) << 8
                             | h2.get(h2.position() + 2) & 0xff;
                if (h2.remaining() < 9 + length) {
                    break;
                }
                int type = h2.get(h2.position() + 3);
                int flags = h2.get(h2.position() + 4);
                byte[] payload = new byte[length];
                h2.position(h2.position() + 9);
                h2.get(payload);
                if (type == 4 && (flags & 1) == 0) {
                    send(ws, frame(4, 1, new byte[0])); // SETTINGS ack
                } else if (type == 6 && (flags & 1) == 0) {
                    send(ws, frame(6, 1, payload)); // PING ack: we are alive
                }
            }
            h2 = h2.slice();
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
            closed.add(status + " " + reason);
            bound.completeExceptionally(new IllegalStateException("closed: " + status + " " + reason));
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.add(String.valueOf(error));
            bound.completeExceptionally(error);
        }

        /** One send at a time, as the JDK's WebSocket requires. */
        private synchronized void send(WebSocket ws, Object message) {
            sending = sending.thenCompose(v -> message instanceof String s ? ws.sendText(s, true)
                    : ws.sendBinary(ByteBuffer.wrap((byte[]) message), true));
        }

        private static byte[] frame(int type, int flags, byte[] payload) {
            ByteBuffer frame = ByteBuffer.allocate(9 + payload.length);
            frame.put((byte) (payload.length >>> 16)).put((byte) (payload.length >>> 8)).put((byte) payload.length);
            frame.put((byte) type).put((byte) flags).putInt(0).put(payload);
            return frame.array();
        }
    }
}
