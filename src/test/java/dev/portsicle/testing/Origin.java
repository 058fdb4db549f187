package dev.portsicle.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real local HTTP/1.1 server for tests, on plain sockets so that it records each request exactly as
 * it arrived (raw head, header case and order, body digest) and can answer in any way a test scripts,
 * including ways a well-behaved server would not (close-delimited bodies, raw bytes, abrupt closes).
 */
public final class Origin implements AutoCloseable {

    /** One request as received. The body is kept only when small; its length and SHA-256 always. */
    public record Request(String rawHead, String method, String target, String version, List<Header> headers,
                          long bodyLength, String bodySha256, byte[] body, int remotePort) {
        public String header(String name) {
            return Header.first(headers, name);
        }

        public List<String> headers(String name) {
            return Header.all(headers, name);
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** Answers one request by writing to {@code out}; the default echoes method and target. */
    @FunctionalInterface
    public interface Handler {
        void handle(Request request, Response response) throws Exception;
    }

    private static final int KEEP_BODY = 1024 * 1024;

    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "origin");
        t.setDaemon(true);
        return t;
    });
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private volatile Handler handler = (request, response) ->
            response.status(200).header("Content-Type", "text/plain").body(request.method() + " " + request.target());
    private volatile boolean autoContinue = true;

    private Origin(ServerSocket server) {
        this.server = server;
        threads.execute(this::acceptLoop);
    }

    public static Origin start() throws IOException {
        return new Origin(new ServerSocket(0, 200, InetAddress.getLoopbackAddress()));
    }

    /** Starts on a given port (to bring a "crashed" local server back on the same port). */
    public static Origin startOn(int port) throws IOException {
        ServerSocket socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
        return new Origin(socket);
    }

    public Origin handle(Handler handler) {
        this.handler = handler;
        return this;
    }

    /** Whether {@code Expect: 100-continue} gets an automatic {@code 100 Continue} before the body is read. */
    public Origin autoContinue(boolean on) {
        this.autoContinue = on;
        return this;
    }

    public int port() {
        return server.getLocalPort();
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    public int connectionsAccepted() {
        return connections.get();
    }

    /** Waits (with a deadline, no fixed sleep) until {@code n} requests were recorded. */
    public List<Request> awaitRequests(int n, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (requests.size() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("expected " + n + " requests at the origin, got " + requests.size());
            }
            Thread.sleep(5);
        }
        return requests();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                connections.incrementAndGet();
                sockets.add(socket);
                threads.execute(() -> serve(socket));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            socket.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
            OutputStream out = socket.getOutputStream();
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                String[] lines = head.split("\r\n");
                String[] requestLine = lines[0].split(" ", 3);
                List<Header> headers = new ArrayList<>();
                for (int i = 1; i < lines.length; i++) {
                    int colon = lines[i].indexOf(':');
                    headers.add(new Header(lines[i].substring(0, colon), lines[i].substring(colon + 1).trim()));
                }
                Request partial = new Request(head, requestLine[0], requestLine[1],
                        requestLine.length > 2 ? requestLine[2] : "", headers, 0, null, new byte[0], socket.getPort());
                if (autoContinue && "100-continue".equalsIgnoreCase(partial.header("Expect"))) {
                    out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                }
                Request request = readBody(in, partial);
                requests.add(request);
                Response response = new Response(out, socket, "HEAD".equals(request.method()));
                handler.handle(request, response);
                out.flush();
                if (response.closed || "close".equalsIgnoreCase(request.header("Connection"))
                        || request.version().equals("HTTP/1.0")) {
                    return;
                }
            }
        } catch (Exception e) {
            // the peer went away or the test closed us: nothing to report
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        return text.substring(0, text.length() - 4);
    }

    private static Request readBody(InputStream in, Request r) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        ByteArrayOutputStream kept = new ByteArrayOutputStream();
        long length = 0;
        byte[] buf = new byte[64 * 1024];
        String te = r.header("Transfer-Encoding");
        if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            while (true) {
                String sizeLine = readLine(in);
                int size = Integer.parseInt(sizeLine.split(";")[0].trim(), 16);
                if (size == 0) {
                    while (!readLine(in).isEmpty()) {
                        // trailers
                    }
                    break;
                }
                length += copy(in, size, sha, kept, buf);
                readLine(in);
            }
        } else if (r.header("Content-Length") != null) {
            length = copy(in, Long.parseLong(r.header("Content-Length")), sha, kept, buf);
        }
        return new Request(r.rawHead(), r.method(), r.target(), r.version(), List.copyOf(r.headers()), length,
                HexFormat.of().formatHex(sha.digest()), kept.toByteArray(), r.remotePort());
    }

    private static long copy(InputStream in, long n, MessageDigest sha, ByteArrayOutputStream kept, byte[] buf)
            throws IOException {
        long left = n;
        while (left > 0) {
            int read = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (read < 0) {
                throw new IOException("body cut short");
            }
            sha.update(buf, 0, read);
            if (kept.size() + read <= KEEP_BODY) {
                kept.write(buf, 0, read);
            }
            left -= read;
        }
        return n;
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }

    /** Kills open connections too, like a crashed local server. */
    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : sockets) {
            socket.close();
        }
        threads.shutdownNow();
    }

    /** What a handler writes: a scripted HTTP/1.1 response, well-formed or not. */
    public static final class Response {
        private final OutputStream out;
        private final Socket socket;
        private final boolean head;
        private final StringBuilder lines = new StringBuilder();
        private boolean closed;

        Response(OutputStream out, Socket socket, boolean head) {
            this.out = out;
            this.socket = socket;
            this.head = head;
        }

        public Response status(int code) {
            return status(code, switch (code) {
                case 200 -> "OK";
                case 201 -> "Created";
                case 204 -> "No Content";
                case 302 -> "Found";
                case 304 -> "Not Modified";
                case 404 -> "Not Found";
                case 500 -> "Internal Server Error";
                default -> "Status";
            });
        }

        public Response status(int code, String reason) {
            lines.append("HTTP/1.1 ").append(code).append(' ').append(reason).append("\r\n");
            return this;
        }

        public Response header(String name, Object value) {
            lines.append(name).append(": ").append(value).append("\r\n");
            return this;
        }

        /** Ends the head with a Content-Length and writes {@code body} (not for HEAD). */
        public void body(String body) throws IOException {
            body(body.getBytes(StandardCharsets.UTF_8));
        }

        public void body(byte[] body) throws IOException {
            header("Content-Length", body.length);
            endHead();
            if (!head) {
                out.write(body);
            }
            out.flush();
        }

        /** Ends the head with no body framing of its own (204, 304, or headers the test set itself). */
        public void noBody() throws IOException {
            endHead();
            out.flush();
        }

        /** A Content-Length body of {@code length} pattern bytes, streamed, never held whole. */
        public void patternBody(long length, long seed) throws IOException {
            header("Content-Length", length);
            endHead();
            if (!head) {
                Bodies.pattern(length, seed).transferTo(out);
            }
            out.flush();
        }

        /** Chunked: each piece is written and flushed at once (for event streams). */
        public Chunked chunked() throws IOException {
            header("Transfer-Encoding", "chunked");
            endHead();
            out.flush();
            return new Chunked(out);
        }

        /** No Content-Length, no chunking: the body ends when the connection closes. */
        public void closeDelimited(byte[] body) throws IOException {
            endHead();
            out.write(body);
            out.flush();
            closed = true;
            socket.shutdownOutput();
        }

        /** Bytes exactly as given, with no head of ours, then close (malformed responses). */
        public void raw(String bytes) throws IOException {
            out.write(bytes.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            closed = true;
        }

        /** Close the connection without answering. */
        public void abort() throws IOException {
            closed = true;
            socket.close();
        }

        private void endHead() throws IOException {
            lines.append("\r\n");
            out.write(lines.toString().getBytes(StandardCharsets.ISO_8859_1));
        }
    }

    /** A chunked body being written. */
    public static final class Chunked {
        private final OutputStream out;

        Chunked(OutputStream out) {
            this.out = out;
        }

        public Chunked write(String text) throws IOException {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            out.write((Integer.toHexString(bytes.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(bytes);
            out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return this;
        }

        public void end() throws IOException {
            out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }
    }
}
