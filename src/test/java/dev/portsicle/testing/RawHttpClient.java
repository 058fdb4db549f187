package dev.portsicle.testing;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * An HTTP/1.1 client on a plain socket: the test writes the exact bytes (method, raw target, header
 * case and order, repeats, even malformed requests) and reads responses one at a time as they come,
 * interim 1xx ones separately, on one keep-alive connection. Every read has a timeout (10 s unless set),
 * so a hung tunnel fails the test instead of hanging it.
 */
public final class RawHttpClient implements AutoCloseable {

    public static final int DEFAULT_TIMEOUT_MILLIS = 10_000;
    private static final int HEAD_LIMIT = 1024 * 1024;

    /**
     * A response as received.
     *
     * @param rawHead  status line and header lines exactly as read, through the blank line (ISO-8859-1)
     * @param headers  in order, name case kept, repeats kept
     * @param body     the body with its framing removed (chunk sizes), empty when there is none
     * @param trailers trailer fields of a chunked body
     */
    public record RawResponse(int status, String reason, List<Header> headers, byte[] body, String rawHead,
                              List<Header> trailers) {

        /** The first value of {@code name}, any case, or null. */
        public String header(String name) {
            return Header.first(headers, name);
        }

        /** Every value of {@code name}, any case, in order. */
        public List<String> headers(String name) {
            return Header.all(headers, name);
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** The protocol version of the status line, e.g. {@code HTTP/1.1}. */
        public String version() {
            return rawHead.substring(0, Math.max(0, rawHead.indexOf(' ')));
        }

        /** A 1xx: another response follows on the same connection. */
        public boolean isInterim() {
            return status / 100 == 1;
        }
    }

    /** A streamed body's size and digest, for bodies too big to keep. */
    public record Digest(long length, String sha256) {
    }

    /** A response whose body was streamed through a digest and not kept. */
    public record StreamedResponse(int status, String reason, List<Header> headers, String rawHead,
                                   long length, String sha256, List<Header> trailers) {
        public String header(String name) {
            return Header.first(headers, name);
        }

        public List<String> headers(String name) {
            return Header.all(headers, name);
        }

        public Digest digest() {
            return new Digest(length, sha256);
        }
    }

    private final Socket socket;
    private final BufferedInputStream in;
    private final OutputStream out;
    private final String peer;

    public RawHttpClient(String host, int port) throws IOException {
        this(connect(host, port, null));
    }

    /** A client whose connection comes from {@code localHost} (e.g. 127.0.0.2: another visitor address). */
    public RawHttpClient(String host, int port, String localHost) throws IOException {
        this(connect(host, port, localHost));
    }

    /** A client on a socket already connected, e.g. a TLS one. */
    public RawHttpClient(Socket connected) throws IOException {
        socket = connected;
        socket.setSoTimeout(DEFAULT_TIMEOUT_MILLIS);
        socket.setTcpNoDelay(true);
        in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        out = socket.getOutputStream();
        peer = socket.getInetAddress().getHostAddress() + ":" + socket.getPort();
    }

    private static Socket connect(String host, int port, String localHost) throws IOException {
        Socket socket = new Socket();
        if (localHost != null) {
            socket.bind(new InetSocketAddress(localHost, 0));
        }
        socket.connect(new InetSocketAddress(host, port), 5000);
        return socket;
    }

    /** A client to the host and port of {@code url} (port 80 when it has none). */
    public static RawHttpClient to(String url) throws IOException {
        URI uri = URI.create(url);
        return new RawHttpClient(uri.getHost(), uri.getPort() < 0 ? 80 : uri.getPort());
    }

    /** The timeout of each read from now on (0 would mean none: do not). */
    public RawHttpClient timeoutMillis(int millis) throws IOException {
        socket.setSoTimeout(millis);
        return this;
    }

    /** Sends bytes exactly as given (ISO-8859-1: one char, one byte). */
    public RawHttpClient send(String bytes) throws IOException {
        return send(Wire.ascii(bytes));
    }

    public RawHttpClient send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Sends all of {@code body} as it is read, at most {@code bytesPerSecond} (0: no cap): a slow upload. */
    public RawHttpClient send(InputStream body, long bytesPerSecond) throws IOException {
        Bodies.throttled(body, bytesPerSecond).transferTo(out);
        out.flush();
        return this;
    }

    /**
     * Sends {@code body} as a chunked body (chunks of {@code chunkSize}, then the last chunk with the
     * trailers); the head, with its {@code Transfer-Encoding: chunked}, is the test's to send first.
     */
    public RawHttpClient sendChunked(InputStream body, int chunkSize, Header... trailers) throws IOException {
        byte[] buf = new byte[chunkSize];
        int n;
        while ((n = body.readNBytes(buf, 0, buf.length)) > 0) {
            out.write(Wire.ascii(Integer.toHexString(n) + "\r\n"));
            out.write(buf, 0, n);
            out.write(Wire.ascii("\r\n"));
        }
        StringBuilder last = new StringBuilder("0\r\n");
        for (Header h : trailers) {
            last.append(h.name()).append(": ").append(h.value()).append("\r\n");
        }
        out.write(Wire.ascii(last.append("\r\n").toString()));
        out.flush();
        return this;
    }

    /** The socket's output, for writing a body in pieces. Unbuffered. */
    public OutputStream output() {
        return out;
    }

    /** The socket's input after whatever responses were read, e.g. after a {@code 101 Switching Protocols}. */
    public InputStream input() {
        return in;
    }

    /**
     * Reads the next response, body kept whole. An interim 1xx is returned on its own (call again for
     * the final response); with {@code headRequest} the response is taken to have no body.
     */
    public RawResponse read(boolean headRequest) throws IOException {
        RawResponse head = readHead();
        BodyStream body = openBody(head, headRequest, Integer.MAX_VALUE - 16);
        drain(body, head);
        return new RawResponse(head.status(), head.reason(), head.headers(), body.kept(), head.rawHead(),
                body.trailers());
    }

    /** Reads the next response to anything but HEAD. */
    public RawResponse read() throws IOException {
        return read(false);
    }

    /** Reads the next response of a HEAD request (no body, whatever its Content-Length says). */
    public RawResponse readHeadResponse() throws IOException {
        return read(true);
    }

    /**
     * Reads only the status line and headers of the next response (body empty): for a live response
     * such as an event stream, whose body is then read with {@link #openBody}.
     */
    public RawResponse readHead() throws IOException {
        byte[] raw;
        try {
            raw = Wire.readHead(in, HEAD_LIMIT);
        } catch (SocketTimeoutException e) {
            throw timedOut("a response head", e);
        }
        if (raw == null) {
            throw new java.io.EOFException("connection closed by " + peer + " before a response");
        }
        String rawHead = new String(raw, StandardCharsets.ISO_8859_1);
        List<String> lines = Wire.lines(rawHead);
        String statusLine = lines.isEmpty() ? "" : lines.get(0);
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/") || !parts[1].matches("\\d{3}")) {
            throw new Wire.Malformed("not a status line: " + statusLine + " (head: " + rawHead + ")");
        }
        return new RawResponse(Integer.parseInt(parts[1]), parts.length > 2 ? parts[2] : "", List.copyOf(Wire.headers(lines, 1)),
                new byte[0], rawHead, List.of());
    }

    /**
     * The body of a response whose head was read with {@link #readHead}, decoded as it arrives and
     * digested, not kept: read it to the end before the next response.
     */
    public BodyStream openBody(RawResponse head, boolean headRequest) throws IOException {
        return openBody(head, headRequest, 0);
    }

    /** Reads a 200 response whose body is streamed through a digest, at most {@code bytesPerSecond} (0: no cap). */
    public Digest readDigest(long bytesPerSecond) throws IOException {
        StreamedResponse response = readStreamed(false, bytesPerSecond);
        if (response.status() != 200) {
            throw new IOException("expected 200, got " + response.rawHead());
        }
        return response.digest();
    }

    /**
     * Reads the next response with its body streamed through a digest and not kept, at most
     * {@code bytesPerSecond} (0: no cap) to play a slow visitor.
     */
    public StreamedResponse readStreamed(boolean headRequest, long bytesPerSecond) throws IOException {
        RawResponse head = readHead();
        BodyStream body = openBody(head, headRequest, 0);
        InputStream throttled = Bodies.throttled(body, bytesPerSecond);
        byte[] buf = new byte[64 * 1024];
        try {
            while (throttled.read(buf) >= 0) {
                // digested by the body stream
            }
        } catch (SocketTimeoutException e) {
            throw timedOut("the body of " + head.rawHead() + "(" + body.length() + " bytes so far)", e);
        }
        return new StreamedResponse(head.status(), head.reason(), head.headers(), head.rawHead(), body.length(),
                body.sha256(), body.trailers());
    }

    /**
     * True when the peer closed (or reset) the connection, false when data arrives or nothing happens
     * within the read timeout. Consumes nothing, so a following {@link #read} still sees every byte.
     */
    public boolean closedByPeer() {
        try {
            in.mark(1);
            int b = in.read();
            if (b < 0) {
                return true;
            }
            in.reset();
            return false;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return e instanceof SocketException;
        }
    }

    /** Our end's port: what the server sees as the remote port (see {@link Origin.Request#remotePort}). */
    public int localPort() {
        return socket.getLocalPort();
    }

    /** Closes our sending side only (FIN), keeping the connection open for reading. */
    public RawHttpClient halfClose() throws IOException {
        socket.shutdownOutput();
        return this;
    }

    /** Resets the connection (TCP RST rather than FIN): a visitor that vanished. */
    public void abort() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    private BodyStream openBody(RawResponse head, boolean headRequest, int keepLimit) throws IOException {
        return new BodyStream(in, Wire.responseFraming(head.status(), head.headers(), headRequest), keepLimit);
    }

    private void drain(BodyStream body, RawResponse head) throws IOException {
        try {
            body.drain();
        } catch (SocketTimeoutException e) {
            throw timedOut("the body of " + head.rawHead() + "(" + body.length() + " bytes so far)", e);
        }
    }

    private SocketTimeoutException timedOut(String what, SocketTimeoutException cause) throws IOException {
        SocketTimeoutException e = new SocketTimeoutException(
                "no data from " + peer + " within " + socket.getSoTimeout() + " ms while reading " + what);
        e.initCause(cause);
        return e;
    }
}
