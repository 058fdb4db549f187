package dev.portsicle.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * An HTTP/1.1 client on a plain socket: the test writes the exact bytes (method, raw target, header
 * case and order, even malformed requests) and reads responses as they come, interim ones included.
 * Every read has a timeout, so a hung tunnel fails the test instead of hanging it.
 */
public final class RawHttpClient implements AutoCloseable {

    /** A response as received. */
    public record RawResponse(int status, String reason, List<Header> headers, byte[] body, String rawHead) {
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

    /** A streamed body's size and digest, for bodies too big to keep. */
    public record Digest(long length, String sha256) {
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    public RawHttpClient(String host, int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress(host, port), 5000);
        socket.setSoTimeout(10_000);
        socket.setTcpNoDelay(true);
        in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        out = socket.getOutputStream();
    }

    /** A client to the host and port of {@code url}. */
    public static RawHttpClient to(String url) throws IOException {
        URI uri = URI.create(url);
        return new RawHttpClient(uri.getHost(), uri.getPort());
    }

    public RawHttpClient timeoutMillis(int millis) throws IOException {
        socket.setSoTimeout(millis);
        return this;
    }

    public RawHttpClient send(String bytes) throws IOException {
        return send(bytes.getBytes(StandardCharsets.ISO_8859_1));
    }

    public RawHttpClient send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    public OutputStream output() {
        return out;
    }

    /** Reads the next response (an interim 1xx is returned on its own); HEAD responses have no body. */
    public RawResponse read(boolean headRequest) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        RawResponse head = readHead();
        Digest ignored = readBody(head, headRequest, body, null);
        return new RawResponse(head.status(), head.reason(), head.headers(), body.toByteArray(), head.rawHead());
    }

    public RawResponse read() throws IOException {
        return read(false);
    }

    /** Reads a response whose body is streamed through a digest, at most {@code bytesPerSecond} (0: no cap). */
    public Digest readDigest(long bytesPerSecond) throws IOException {
        RawResponse head = readHead();
        if (head.status() != 200) {
            throw new IOException("expected 200, got " + head.rawHead());
        }
        return readBody(head, false, null, new Throttle(bytesPerSecond));
    }

    /** True when the server closed the connection (EOF) within the read timeout. */
    public boolean closedByPeer() {
        try {
            return in.read() < 0;
        } catch (IOException e) {
            return e instanceof java.net.SocketException;
        }
    }

    private RawResponse readHead() throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        String statusLine = readLine(raw);
        if (statusLine == null) {
            throw new IOException("connection closed before a response");
        }
        List<Header> headers = new ArrayList<>();
        String line;
        while ((line = readLine(raw)) != null && !line.isEmpty()) {
            int colon = line.indexOf(':');
            headers.add(new Header(line.substring(0, colon), line.substring(colon + 1).trim()));
        }
        String[] parts = statusLine.split(" ", 3);
        return new RawResponse(Integer.parseInt(parts[1]), parts.length > 2 ? parts[2] : "", headers, new byte[0],
                raw.toString(StandardCharsets.ISO_8859_1));
    }

    private Digest readBody(RawResponse head, boolean headRequest, ByteArrayOutputStream keep, Throttle throttle)
            throws IOException {
        MessageDigest sha = Bodies.newSha();
        int status = head.status();
        if (headRequest || status / 100 == 1 || status == 204 || status == 304) {
            return new Digest(0, HexFormat.of().formatHex(sha.digest()));
        }
        long length = 0;
        String te = head.header("Transfer-Encoding");
        if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            while (true) {
                int size = Integer.parseInt(readLine(null).split(";")[0].trim(), 16);
                if (size == 0) {
                    while (!readLine(null).isEmpty()) {
                        // trailers
                    }
                    break;
                }
                length += copy(size, sha, keep, throttle);
                readLine(null);
            }
        } else if (head.header("Content-Length") != null) {
            length = copy(Long.parseLong(head.header("Content-Length")), sha, keep, throttle);
        } else {
            length = copy(Long.MAX_VALUE, sha, keep, throttle); // close-delimited
        }
        return new Digest(length, HexFormat.of().formatHex(sha.digest()));
    }

    private long copy(long n, MessageDigest sha, ByteArrayOutputStream keep, Throttle throttle) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        while (total < n) {
            int read = in.read(buf, 0, (int) Math.min(buf.length, n - total));
            if (read < 0) {
                if (n == Long.MAX_VALUE) {
                    return total;
                }
                throw new IOException("body cut short after " + total + " of " + n + " bytes");
            }
            sha.update(buf, 0, read);
            if (keep != null) {
                keep.write(buf, 0, read);
            }
            total += read;
            if (throttle != null) {
                throttle.took(read);
            }
        }
        return total;
    }

    private String readLine(ByteArrayOutputStream raw) throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0) {
            if (raw != null) {
                raw.write(b);
            }
            if (b == '\n') {
                return line.toString();
            }
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.length() == 0 ? null : line.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** Sleeps as needed to keep a reader under a byte rate: a slow visitor. */
    private static final class Throttle {
        private final long bytesPerSecond;
        private final long start = System.nanoTime();
        private long bytes;

        Throttle(long bytesPerSecond) {
            this.bytesPerSecond = bytesPerSecond;
        }

        void took(int n) {
            bytes += n;
            if (bytesPerSecond <= 0) {
                return;
            }
            long dueNanos = bytes * 1_000_000_000L / bytesPerSecond;
            long aheadNanos = dueNanos - (System.nanoTime() - start);
            if (aheadNanos > 0) {
                try {
                    Thread.sleep(aheadNanos / 1_000_000, (int) (aheadNanos % 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
