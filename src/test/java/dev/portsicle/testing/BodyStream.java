package dev.portsicle.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * One message body, decoded from its framing (Content-Length, chunked, or until close) as it is read,
 * counted and digested on the way, so a body of any size can be checked without holding it. Only a
 * body no longer than {@code keepLimit} is also kept. It never reads past the end of its own body, so
 * the connection stays in step for the next message.
 */
public final class BodyStream extends InputStream {
    private static final int LINE_LIMIT = 64 * 1024;

    private final InputStream in;
    private final Wire.Framing framing;
    private final int keepLimit;
    private final MessageDigest sha = Bodies.newSha();
    private final List<Header> trailers = new ArrayList<>();
    private ByteArrayOutputStream kept;
    private Runnable beforeFirstRead;
    private Runnable onEnd;
    private long length;
    private long left;          // of the Content-Length, or of the current chunk
    private boolean chunkNeedsCrlf;
    private boolean ended;
    private String sha256;

    BodyStream(InputStream in, Wire.Framing framing, int keepLimit) {
        this.in = in;
        this.framing = framing;
        this.keepLimit = keepLimit;
        this.kept = keepLimit > 0 ? new ByteArrayOutputStream(Math.min(keepLimit, 8192)) : null;
        this.left = framing.kind() == Wire.Framing.Kind.LENGTH ? framing.length() : 0;
    }

    /** Runs once, just before the first byte is asked of the connection (the origin's lazy 100 Continue). */
    BodyStream beforeFirstRead(Runnable action) {
        this.beforeFirstRead = action;
        return this;
    }

    /** Runs once, as soon as the body's end has been read (the origin records the request then). */
    BodyStream onEnd(Runnable action) {
        this.onEnd = action;
        return this;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (ended) {
            return -1;
        }
        if (len == 0) {
            return 0;
        }
        if (beforeFirstRead != null) {
            Runnable action = beforeFirstRead;
            beforeFirstRead = null;
            action.run();
        }
        int n;
        switch (framing.kind()) {
            case LENGTH -> {
                if (left == 0) {
                    end();
                    return -1;
                }
                n = in.read(b, off, (int) Math.min(len, left));
                if (n < 0) {
                    throw new EOFException("body cut short after " + length + " of " + framing.length() + " bytes");
                }
                left -= n;
            }
            case CHUNKED -> {
                if (left == 0) {
                    if (chunkNeedsCrlf) {
                        String crlf = Wire.readLine(in, LINE_LIMIT);
                        if (!crlf.isEmpty()) {
                            throw new Wire.Malformed("chunk data not followed by CRLF");
                        }
                        chunkNeedsCrlf = false;
                    }
                    long size = Wire.chunkSize(Wire.readLine(in, LINE_LIMIT));
                    if (size == 0) {
                        readTrailers();
                        end();
                        return -1;
                    }
                    left = size;
                }
                n = in.read(b, off, (int) Math.min(len, left));
                if (n < 0) {
                    throw new EOFException("chunked body cut short after " + length + " bytes");
                }
                left -= n;
                chunkNeedsCrlf = left == 0;
            }
            default -> {
                n = in.read(b, off, len);
                if (n < 0) {
                    end();
                    return -1;
                }
            }
        }
        account(b, off, n);
        if (framing.kind() == Wire.Framing.Kind.LENGTH && left == 0) {
            end(); // known complete: record it now rather than when someone reads the -1
        }
        return n;
    }

    /** Reads (and digests) whatever is left of the body. */
    public BodyStream drain() throws IOException {
        byte[] buf = new byte[64 * 1024];
        while (read(buf, 0, buf.length) >= 0) {
            // counted and digested by read
        }
        return this;
    }

    /** Bytes of body read so far. */
    public long length() {
        return length;
    }

    /** True once the body's end (by its framing) has been read. */
    public boolean ended() {
        return ended;
    }

    /** SHA-256 of the whole body; only once it has ended. */
    public String sha256() {
        if (!ended) {
            throw new IllegalStateException("the body has not ended (" + length + " bytes so far)");
        }
        return sha256;
    }

    /** SHA-256 of the bytes read so far (for a body that was cut short); ends the digest. */
    String sha256SoFar() {
        return ended ? sha256 : HexFormat.of().formatHex(sha.digest());
    }

    /** The body, if it was no longer than the keep limit; otherwise null. */
    public byte[] kept() {
        return kept == null ? null : kept.toByteArray();
    }

    /** Trailer fields after a chunked body, in order. */
    public List<Header> trailers() {
        return List.copyOf(trailers);
    }

    private void account(byte[] b, int off, int n) {
        sha.update(b, off, n);
        length += n;
        if (kept != null) {
            if (length > keepLimit) {
                kept = null; // too big to keep: only its length and digest are recorded
            } else {
                kept.write(b, off, n);
            }
        }
    }

    private void readTrailers() throws IOException {
        List<String> lines = new ArrayList<>();
        String line;
        while (!(line = Wire.readLine(in, LINE_LIMIT)).isEmpty()) {
            lines.add(line);
        }
        trailers.addAll(Wire.headers(lines, 0));
    }

    private void end() {
        if (ended) {
            return;
        }
        ended = true;
        sha256 = HexFormat.of().formatHex(sha.digest());
        if (onEnd != null) {
            onEnd.run();
        }
    }

    /** Does not close the connection: the body is only a view of part of it. */
    @Override
    public void close() {
    }
}
