package dev.portsicle.testing;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real local HTTP/1.1 server for tests, on plain sockets rather than a framework, so that it records
 * each request exactly as it arrived (raw head, target, header case, order and repeats, body length and
 * digest) and can answer in any way a test scripts, including ways a well-behaved server would not
 * (close-delimited bodies, raw bytes, abrupt closes). One thread per connection, keep-alive supported.
 *
 * <p>By default a request's body is read (and digested) before the handler runs. With
 * {@link #handleStreaming} the handler reads the body itself as it arrives, so a 1 GiB upload is never
 * held and the handler decides about {@code 100 Continue}.
 */
public final class Origin implements AutoCloseable {

    /** Bodies up to this size are kept in {@link Request#body()}; longer ones only by length and digest. */
    public static final int KEEP_BODY = 1024 * 1024;
    private static final int HEAD_LIMIT = 1024 * 1024;

    /**
     * One request as received.
     *
     * @param rawHead      request line and header lines exactly as read, through the blank line (ISO-8859-1)
     * @param target       the request target exactly as on the wire, not decoded or normalized
     * @param headers      every header line in order, name case kept, repeats kept (obs-folds joined)
     * @param bodyLength   body bytes after removing the framing (chunk sizes); -1 while not yet read
     * @param bodySha256   hex SHA-256 of those bytes; null while not yet read
     * @param body         the bytes, only if no longer than {@link #KEEP_BODY}; otherwise null
     * @param remotePort   the peer's port: tells requests on one connection from requests on another
     * @param trailers     trailer fields of a chunked body
     * @param bodyComplete false when the body ended early (cut short, or a streaming handler answered
     *                     without reading it all and the connection was closed)
     */
    public record Request(String rawHead, String method, String target, String version, List<Header> headers,
                          long bodyLength, String bodySha256, byte[] body, int remotePort, List<Header> trailers,
                          boolean bodyComplete) {

        /** The first value of {@code name}, any case, or null. */
        public String header(String name) {
            return Header.first(headers, name);
        }

        /** Every value of {@code name}, any case, in order. */
        public List<String> headers(String name) {
            return Header.all(headers, name);
        }

        public boolean bodyKept() {
            return body != null;
        }

        public String bodyText() {
            if (body == null) {
                throw new IllegalStateException("the body (" + bodyLength + " bytes) was not kept; use bodySha256()");
            }
            return new String(body, StandardCharsets.UTF_8);
        }

        /** The request line, e.g. {@code GET /x HTTP/1.1}. */
        public String requestLine() {
            return method + " " + target + (version.isEmpty() ? "" : " " + version);
        }

        private Request withBody(BodyStream stream, boolean complete) {
            return new Request(rawHead, method, target, version, headers, stream.length(),
                    stream.sha256SoFar(), stream.kept(), remotePort, stream.trailers(), complete);
        }
    }

    /** Answers a request whose body has already been read, recorded and digested. */
    @FunctionalInterface
    public interface Handler {
        void handle(Request request, Response response) throws Exception;
    }

    /**
     * Answers a request while its body is still on the wire: {@code body} decodes and digests it as the
     * handler reads. {@code request} has no body fields yet (-1, null); the complete request is recorded
     * when the body ends. Whatever the handler leaves unread is read after it returns, unless the client
     * is still waiting for a {@code 100 Continue} it never got; then the connection is closed.
     */
    @FunctionalInterface
    public interface StreamingHandler {
        void handle(Request request, BodyStream body, Response response) throws Exception;
    }

    private final ServerSocket server;
    private final ExecutorService threads;
    private final Object lock = new Object();
    private final List<Request> requests = new ArrayList<>(); // guarded by lock
    private final List<String> problems = new CopyOnWriteArrayList<>();
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connections = new AtomicInteger();
    private volatile Object handler = (Handler) (request, response) ->
            response.status(200).header("Content-Type", "text/plain").body(request.method() + " " + request.target());
    private volatile boolean autoContinue = true;

    private Origin(ServerSocket server) {
        this.server = server;
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "origin-" + server.getLocalPort() + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        threads.execute(this::acceptLoop);
    }

    /** Listens on 127.0.0.1, on a free port. */
    public static Origin start() throws IOException {
        return new Origin(new ServerSocket(0, 200, InetAddress.getLoopbackAddress()));
    }

    /** Starts on a given port (to bring a "crashed" local server back on the same port). */
    public static Origin startOn(int port) throws IOException {
        ServerSocket socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
        return new Origin(socket);
    }

    /** Answers later requests with {@code handler}; the default echoes {@code METHOD target} as text. */
    public Origin handle(Handler handler) {
        this.handler = handler;
        return this;
    }

    /** Answers later requests with a handler that reads the body itself, as it arrives. */
    public Origin handleStreaming(StreamingHandler handler) {
        this.handler = handler;
        return this;
    }

    /**
     * Whether {@code Expect: 100-continue} gets a {@code 100 Continue} without the handler asking: before
     * the body is read (buffered), or when the handler first reads the body (streaming). Default on.
     */
    public Origin autoContinue(boolean on) {
        this.autoContinue = on;
        return this;
    }

    public int port() {
        return server.getLocalPort();
    }

    /** The requests received so far, in the order they were recorded. */
    public List<Request> requests() {
        synchronized (lock) {
            return List.copyOf(requests);
        }
    }

    /**
     * What the origin could not accept: malformed heads, bad framing, bodies cut short, handlers that
     * failed or wrote nothing. Tests can assert it is empty to know nothing went wrong out of sight.
     */
    public List<String> problems() {
        return List.copyOf(problems);
    }

    public int connectionsAccepted() {
        return connections.get();
    }

    /** Connections open right now. */
    public int openConnections() {
        return sockets.size();
    }

    /** Waits on a condition, up to {@code timeout}, until at least {@code n} requests were recorded. */
    public List<Request> awaitRequests(int n, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (requests.size() < n) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("expected " + n + " requests at the origin within " + timeout
                                             + ", got " + requests.size() + ": " + requests
                                             + (problems.isEmpty() ? "" : "; problems: " + problems));
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            return List.copyOf(requests);
        }
    }

    /** Kills open connections too, like a crashed local server. */
    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : sockets) {
            closeQuietly(socket);
        }
        threads.shutdownNow();
    }

    private void record(Request request) {
        synchronized (lock) {
            requests.add(request);
            lock.notifyAll();
        }
    }

    private void problem(String what) {
        problems.add(what);
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                connections.incrementAndGet();
                sockets.add(socket);
                if (server.isClosed()) {
                    // accept() can still hand out a connection that raced with close(), after close()
                    // closed the ones it knew: a crashed server must not leave one open and silent.
                    closeQuietly(socket);
                    return;
                }
                try {
                    threads.execute(() -> serve(socket));
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    closeQuietly(socket);
                    return; // closing
                }
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket socket) {
        InputStream in = null;
        OutputStream out = null;
        try {
            socket.setTcpNoDelay(true);
            in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
            out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
            while (exchange(socket, in, out)) {
                // keep-alive: next request on the same connection
            }
        } catch (IOException | InterruptedException e) {
            // the peer went away, or the test closed us
        } finally {
            lingeringClose(socket, in, out);
            sockets.remove(socket);
        }
    }

    /** One request and its response; true when the connection stays open for another. */
    private boolean exchange(Socket socket, InputStream in, OutputStream out) throws IOException, InterruptedException {
        byte[] raw;
        try {
            raw = Wire.readHead(in, HEAD_LIMIT);
        } catch (Wire.TooLarge e) {
            problem(e.getMessage());
            reject(out, 431, "Request Header Fields Too Large", e.getMessage());
            return false;
        } catch (EOFException e) {
            problem(e.getMessage());
            return false;
        }
        if (raw == null) {
            return false; // closed between requests
        }
        String rawHead = new String(raw, StandardCharsets.ISO_8859_1);
        Request request;
        Wire.Framing framing;
        try {
            List<String> lines = Wire.lines(rawHead);
            String line = lines.isEmpty() ? "" : lines.get(0);
            int first = line.indexOf(' ');
            int last = line.lastIndexOf(' ');
            if (first <= 0 || last == first) {
                throw new Wire.Malformed("bad request line: " + line);
            }
            List<Header> headers = Wire.headers(lines, 1);
            framing = Wire.requestFraming(headers);
            request = new Request(rawHead, line.substring(0, first), line.substring(first + 1, last),
                    line.substring(last + 1), List.copyOf(headers), -1, null, null, socket.getPort(), List.of(), false);
        } catch (Wire.Malformed e) {
            problem(e.getMessage() + " in " + rawHead);
            reject(out, 400, "Bad Request", e.getMessage());
            return false;
        }

        Response response = new Response(out, socket, "HEAD".equals(request.method()));
        boolean expect = "100-continue".equalsIgnoreCase(request.header("Expect"));
        BodyStream body = new BodyStream(in, framing, KEEP_BODY);
        Request[] recorded = new Request[1];
        body.onEnd(() -> {
            recorded[0] = request.withBody(body, true);
            record(recorded[0]);
        });
        Object h = handler;
        try {
            if (h instanceof StreamingHandler streaming) {
                if (expect && autoContinue && framing.hasBody()) {
                    body.beforeFirstRead(response::continueUnlessAnswered);
                }
                streaming.handle(request, body, response);
            } else {
                if (expect && autoContinue) {
                    response.sendContinue();
                }
                try {
                    body.drain();
                } catch (IOException e) {
                    problem("request body: " + e.getMessage() + " after " + request.requestLine());
                    return false;
                }
                ((Handler) h).handle(recorded[0], response);
            }
        } catch (InterruptedException e) {
            throw e;
        } catch (IOException e) {
            // the peer went away (or a streaming body was cut short): nothing more to say on this connection
            if (!body.ended()) {
                problem("request body: " + e.getMessage() + " after " + request.requestLine());
                record(request.withBody(body, false));
            }
            return false;
        } catch (Exception | AssertionError e) {
            problem("handler failed on " + request.requestLine() + ": " + e);
            if (!response.started && !socket.isClosed()) {
                StringWriter trace = new StringWriter();
                e.printStackTrace(new PrintWriter(trace));
                reject(out, 500, "Handler Failed", trace.toString());
            }
            if (recorded[0] == null) {
                record(request.withBody(body, false));
            }
            return false;
        }
        out.flush();

        if (!response.closed && !response.finished) {
            problem((response.started ? "handler left its response unfinished for " : "handler wrote no response for ")
                    + request.requestLine());
            if (!response.started) {
                reject(out, 500, "No Response", "the test's handler wrote no response");
            }
            response.closed = true;
        }
        if (!body.ended()) {
            boolean clientMayWithhold = expect && framing.hasBody() && !response.continueSent;
            if (response.closed || clientMayWithhold) {
                record(request.withBody(body, false));
                return false;
            }
            try {
                body.drain();
            } catch (IOException e) {
                problem("request body: " + e.getMessage() + " after " + request.requestLine());
                record(request.withBody(body, false));
                return false;
            }
        }
        return !response.closed && !response.closeAfter && keepAlive(request);
    }

    private static boolean keepAlive(Request request) {
        String connection = String.join(",", request.headers("Connection")).toLowerCase(Locale.ROOT);
        if (request.version().equals("HTTP/1.0")) {
            return connection.contains("keep-alive");
        }
        return !connection.contains("close");
    }

    private static void reject(OutputStream out, int status, String reason, String text) {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        try {
            out.write(Wire.ascii("HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                 + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n"));
            out.write(body);
            out.flush();
        } catch (IOException e) {
            // the peer is gone; it will not read it anyway
        }
    }

    /**
     * Closes after our last byte: FIN first, then reads whatever the peer still sends for up to a second,
     * so that unread request bytes do not turn the close into a reset that could destroy the response.
     */
    private static void lingeringClose(Socket socket, InputStream in, OutputStream out) {
        if (socket.isClosed()) {
            return;
        }
        try {
            if (out != null) {
                out.flush();
            }
            if (!socket.isOutputShutdown()) {
                socket.shutdownOutput();
            }
            socket.setSoTimeout(1000);
            InputStream drain = in != null ? in : socket.getInputStream();
            byte[] buf = new byte[16 * 1024];
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            while (drain.read(buf) >= 0 && System.nanoTime() < deadline) {
                // discard
            }
        } catch (IOException e) {
            // closing anyway
        } finally {
            closeQuietly(socket);
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    /**
     * What a handler writes: a scripted HTTP/1.1 response, well-formed or not. Status and headers are
     * collected (order, case and repeats kept) and written when a body method is called; after a HEAD
     * request only the head is written, whatever the body method.
     */
    public static final class Response {
        private final OutputStream out;
        private final Socket socket;
        private final boolean head;
        private final List<Header> headers = new ArrayList<>();
        private int status = 200;
        private String reason = "OK";
        private boolean started;
        private boolean finished;
        private boolean closed;
        private boolean closeAfter;
        private boolean continueSent;

        Response(OutputStream out, Socket socket, boolean head) {
            this.out = out;
            this.socket = socket;
            this.head = head;
        }

        /** True when answering a HEAD request: body methods then write the head only. */
        public boolean isHead() {
            return head;
        }

        /** The status, with the usual reason phrase. */
        public Response status(int code) {
            return status(code, reasonFor(code));
        }

        /** The status with any reason phrase, even an empty one. */
        public Response status(int code, String reason) {
            notStarted();
            this.status = code;
            this.reason = reason;
            return this;
        }

        /** Adds a header line as given; repeats allowed, order and case kept. */
        public Response header(String name, Object value) {
            notStarted();
            headers.add(new Header(name, String.valueOf(value)));
            if (name.equalsIgnoreCase("Connection") && String.valueOf(value).toLowerCase(Locale.ROOT).contains("close")) {
                closeAfter = true;
            }
            return this;
        }

        /** Sleeps before answering: a slow local server (this is the scripted behaviour, not a wait). */
        public Response delay(Duration duration) throws InterruptedException {
            Thread.sleep(duration.toMillis());
            return this;
        }

        /** Sends {@code 100 Continue} now (for a handler that turned automatic continues off). */
        public Response sendContinue() throws IOException {
            return interim(100, "Continue");
        }

        /** Sends an interim 1xx response (103 Early Hints, a second 100...) before the final one. */
        public Response interim(int code, String reason, Header... interimHeaders) throws IOException {
            notStarted();
            StringBuilder text = new StringBuilder("HTTP/1.1 ").append(code).append(' ').append(reason).append("\r\n");
            for (Header h : interimHeaders) {
                text.append(h.name()).append(": ").append(h.value()).append("\r\n");
            }
            out.write(Wire.ascii(text.append("\r\n").toString()));
            out.flush();
            if (code == 100) {
                continueSent = true;
            }
            return this;
        }

        void continueUnlessAnswered() {
            if (!started && !continueSent) {
                try {
                    sendContinue();
                } catch (IOException e) {
                    // the body read that follows will fail on the same connection
                }
            }
        }

        /** A Content-Length body (UTF-8). */
        public void body(String body) throws IOException {
            body(body.getBytes(StandardCharsets.UTF_8));
        }

        /** A Content-Length body. */
        public void body(byte[] body) throws IOException {
            header("Content-Length", body.length);
            writeHead();
            if (!head) {
                out.write(body);
            }
            done();
        }

        /** A Content-Length body of exactly {@code length} bytes copied from {@code in} as it is read. */
        public void body(InputStream in, long length) throws IOException {
            header("Content-Length", length);
            writeHead();
            if (!head) {
                byte[] buf = new byte[64 * 1024];
                long left = length;
                while (left > 0) {
                    int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                    if (n < 0) {
                        throw new EOFException("body source ended " + left + " bytes early");
                    }
                    out.write(buf, 0, n);
                    left -= n;
                }
            }
            done();
        }

        /** A Content-Length body of {@code length} {@link Bodies#pattern} bytes, streamed, never held whole. */
        public void patternBody(long length, long seed) throws IOException {
            body(Bodies.pattern(length, seed), length);
        }

        /** Ends the head with no body framing of its own (204, 304, or framing headers the test set itself). */
        public void noBody() throws IOException {
            writeHead();
            done();
        }

        /** Chunked: each piece is written and flushed at once (for event streams). */
        public Chunked chunked() throws IOException {
            header("Transfer-Encoding", "chunked");
            writeHead();
            out.flush();
            return new Chunked(this);
        }

        /** A chunked body of {@code length} pattern bytes in chunks of {@code chunkSize}. */
        public void patternChunked(long length, long seed, int chunkSize) throws IOException {
            Chunked chunked = chunked();
            InputStream in = Bodies.pattern(length, seed);
            byte[] buf = new byte[chunkSize];
            int n;
            while ((n = in.readNBytes(buf, 0, buf.length)) > 0) {
                chunked.write(buf, 0, n);
            }
            chunked.end();
        }

        /** No Content-Length, no chunking: the body ends when the connection closes. */
        public void closeDelimited(byte[] body) throws IOException {
            closeDelimited(new java.io.ByteArrayInputStream(body));
        }

        public void closeDelimited(String body) throws IOException {
            closeDelimited(body.getBytes(StandardCharsets.UTF_8));
        }

        /** A close-delimited body of {@code length} pattern bytes, streamed. */
        public void closeDelimitedPattern(long length, long seed) throws IOException {
            closeDelimited(Bodies.pattern(length, seed));
        }

        private void closeDelimited(InputStream body) throws IOException {
            writeHead();
            if (!head) {
                body.transferTo(out);
            }
            out.flush();
            finished = true;
            closed = true; // the origin closes gracefully (FIN) when the handler returns
            socket.shutdownOutput();
        }

        /** Bytes exactly as given, with no head of ours; the connection stays open for another request. */
        public void writeRaw(byte[] bytes) throws IOException {
            started = true;
            out.write(bytes);
            out.flush();
            finished = true;
        }

        public void writeRaw(String bytes) throws IOException {
            writeRaw(Wire.ascii(bytes));
        }

        /** Bytes exactly as given, with no head of ours, then close (malformed responses). */
        public void raw(String bytes) throws IOException {
            raw(Wire.ascii(bytes));
        }

        public void raw(byte[] bytes) throws IOException {
            writeRaw(bytes);
            closed = true;
        }

        /** Closes the connection now, whatever was written so far (nothing, or half a response). */
        public void abort() throws IOException {
            closed = true;
            try {
                out.flush();
            } finally {
                socket.close();
            }
        }

        /** Resets the connection now (TCP RST rather than FIN): a crashed server. */
        public void reset() throws IOException {
            closed = true;
            socket.setSoLinger(true, 0);
            socket.close();
        }

        private void writeHead() throws IOException {
            notStarted();
            started = true;
            StringBuilder text = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason).append("\r\n");
            for (Header h : headers) {
                text.append(h.name()).append(": ").append(h.value()).append("\r\n");
            }
            out.write(Wire.ascii(text.append("\r\n").toString()));
        }

        private void done() throws IOException {
            out.flush();
            finished = true;
        }

        private void notStarted() {
            if (started) {
                throw new IllegalStateException("the response head was already written");
            }
        }

        private static String reasonFor(int code) {
            return switch (code) {
                case 100 -> "Continue";
                case 101 -> "Switching Protocols";
                case 103 -> "Early Hints";
                case 200 -> "OK";
                case 201 -> "Created";
                case 202 -> "Accepted";
                case 204 -> "No Content";
                case 206 -> "Partial Content";
                case 301 -> "Moved Permanently";
                case 302 -> "Found";
                case 303 -> "See Other";
                case 304 -> "Not Modified";
                case 307 -> "Temporary Redirect";
                case 308 -> "Permanent Redirect";
                case 400 -> "Bad Request";
                case 401 -> "Unauthorized";
                case 403 -> "Forbidden";
                case 404 -> "Not Found";
                case 405 -> "Method Not Allowed";
                case 408 -> "Request Timeout";
                case 413 -> "Content Too Large";
                case 417 -> "Expectation Failed";
                case 429 -> "Too Many Requests";
                case 500 -> "Internal Server Error";
                case 502 -> "Bad Gateway";
                case 503 -> "Service Unavailable";
                case 504 -> "Gateway Timeout";
                default -> "Status";
            };
        }
    }

    /** A chunked body being written; each chunk is flushed as soon as it is written. */
    public static final class Chunked {
        private final Response response;

        Chunked(Response response) {
            this.response = response;
        }

        public Chunked write(String text) throws IOException {
            return write(text.getBytes(StandardCharsets.UTF_8));
        }

        public Chunked write(byte[] bytes) throws IOException {
            return write(bytes, 0, bytes.length);
        }

        /** One chunk; an empty one is skipped, since a zero-size chunk would end the body. */
        public Chunked write(byte[] bytes, int off, int len) throws IOException {
            if (len == 0 || response.head) {
                return this;
            }
            OutputStream out = response.out;
            out.write(Wire.ascii(Integer.toHexString(len) + "\r\n"));
            out.write(bytes, off, len);
            out.write(Wire.ascii("\r\n"));
            out.flush();
            return this;
        }

        /** The last chunk, with optional trailer fields. */
        public void end(Header... trailers) throws IOException {
            if (!response.head) {
                StringBuilder text = new StringBuilder("0\r\n");
                for (Header h : trailers) {
                    text.append(h.name()).append(": ").append(h.value()).append("\r\n");
                }
                response.out.write(Wire.ascii(text.append("\r\n").toString()));
            }
            response.done();
        }
    }
}
