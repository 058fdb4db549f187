// Upload sink for the benchmarks: counts and SHA-256-hashes every request body and answers
// {"bytes":N,"sha256":"hex"}, so a script can check that an upload arrived whole and unchanged.
// Run with the JDK's source launcher: java bench/Sink.java PORT [BIND_ADDRESS]
// Hashing runs on a second thread, fed with filled buffers, so that the sink reads as fast as a
// counting-only server would (hashing inline halved the upload rate on the 2-core VM).
import com.sun.net.httpserver.HttpServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

public class Sink {
    private static final int BUFFERS = 8, BUFFER_SIZE = 512 * 1024;
    private static final ExecutorService hashers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "hasher");
        t.setDaemon(true);
        return t;
    });

    /** A filled buffer on its way to the hasher; length -1 marks the end of the body. */
    private record Chunk(byte[] data, int length) {}

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        String bind = args.length > 1 ? args[1] : "127.0.0.1";
        HttpServer server = HttpServer.create(new InetSocketAddress(bind, port), 1024);
        server.createContext("/", exchange -> {
            try (exchange) {
                BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(BUFFERS);
                BlockingQueue<Chunk> full = new ArrayBlockingQueue<>(BUFFERS + 1);
                for (int i = 0; i < BUFFERS; i++) free.add(new byte[BUFFER_SIZE]);
                Future<String> digest = hashers.submit(() -> {
                    MessageDigest sha = MessageDigest.getInstance("SHA-256");
                    for (Chunk c; (c = full.take()).length >= 0; ) {
                        sha.update(c.data, 0, c.length);
                        free.add(c.data);
                    }
                    return HexFormat.of().formatHex(sha.digest());
                });
                long bytes = 0;
                try (InputStream in = exchange.getRequestBody()) {
                    while (true) {
                        byte[] buf = free.take();
                        int n = in.readNBytes(buf, 0, buf.length);
                        if (n > 0) {
                            full.put(new Chunk(buf, n));
                            bytes += n;
                        }
                        if (n < buf.length) break;
                    }
                } finally {
                    full.put(new Chunk(null, -1));
                }
                byte[] body = ("{\"bytes\":" + bytes + ",\"sha256\":\"" + digest.get() + "\"}\n")
                        .getBytes(StandardCharsets.US_ASCII);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            } catch (Exception e) {
                // An uploader that went away mid-body: nothing to answer, the sink carries on.
                System.err.println("sink: " + e);
            }
        });
        server.setExecutor(Executors.newCachedThreadPool());
        server.start();
        System.out.println("sink listening on " + bind + ":" + port);
    }
}
