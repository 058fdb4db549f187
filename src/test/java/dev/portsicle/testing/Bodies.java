package dev.portsicle.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * Deterministic bodies of any size, generated as they are read, and their SHA-256 digests. A 1 GiB
 * upload or download is checked by comparing digests, so neither end ever holds the body.
 */
public final class Bodies {

    /** SHA-256 of no bytes: what an empty body digests to. */
    public static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private static final int BLOCK = 64 * 1024;

    /**
     * {@code length} bytes from a seeded generator; the same seed always gives the same bytes, however
     * they are read (the generator works in fixed 64 KiB blocks), so two ends can agree without sharing.
     */
    public static InputStream pattern(long length, long seed) {
        if (length < 0) {
            throw new IllegalArgumentException("negative length " + length);
        }
        return new InputStream() {
            private final SplittableRandom random = new SplittableRandom(seed);
            private final byte[] block = new byte[BLOCK];
            private int blockPos = block.length;
            private long left = length;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (len == 0) {
                    return 0;
                }
                if (left == 0) {
                    return -1;
                }
                if (blockPos == block.length) {
                    random.nextBytes(block);
                    blockPos = 0;
                }
                int n = (int) Math.min(Math.min(len, block.length - blockPos), left);
                System.arraycopy(block, blockPos, b, off, n);
                blockPos += n;
                left -= n;
                return n;
            }

            @Override
            public int available() {
                return (int) Math.min(left, Integer.MAX_VALUE);
            }
        };
    }

    /** The first {@code length} bytes of {@link #pattern}, in memory: for bodies small enough to compare. */
    public static byte[] patternBytes(int length, long seed) {
        try {
            return pattern(length, seed).readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException(e); // the pattern never fails
        }
    }

    /** The digest {@link #pattern} has, computed by generating it (about a second per GiB). */
    public static String patternSha256(long length, long seed) throws IOException {
        return sha256(pattern(length, seed));
    }

    /** Reads {@code in} to its end, holding 64 KiB at a time. */
    public static String sha256(InputStream in) throws IOException {
        Sink sink = new Sink();
        in.transferTo(sink);
        return sink.sha256();
    }

    public static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(newSha().digest(bytes));
    }

    /** Wraps {@code in} so that reading it never goes faster than {@code bytesPerSecond} (0: no cap): a slow peer. */
    public static InputStream throttled(InputStream in, long bytesPerSecond) {
        Throttle throttle = new Throttle(bytesPerSecond);
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = in.read(b, off, Math.min(len, throttle.step()));
                if (n > 0) {
                    throttle.took(n);
                }
                return n;
            }

            @Override
            public void close() throws IOException {
                in.close();
            }
        };
    }

    /** A new SHA-256 (always present in the JDK). */
    public static MessageDigest newSha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * An output stream that only counts and digests what is written: {@code body.transferTo(sink)} checks
     * a body of any size in constant memory.
     */
    public static final class Sink extends OutputStream {
        private final MessageDigest sha = newSha();
        private long length;
        private String hex;

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            if (hex != null) {
                throw new IllegalStateException("already digested");
            }
            sha.update(b, off, len);
            length += len;
        }

        public long length() {
            return length;
        }

        /** The digest of everything written; the sink takes no more bytes after this. */
        public String sha256() {
            if (hex == null) {
                hex = HexFormat.of().formatHex(sha.digest());
            }
            return hex;
        }
    }

    /** Sleeps as needed to keep a byte count under a rate; reads in steps of about 1/20 s so pacing is smooth. */
    static final class Throttle {
        private final long bytesPerSecond;
        private final long start = System.nanoTime();
        private long bytes;

        Throttle(long bytesPerSecond) {
            this.bytesPerSecond = bytesPerSecond;
        }

        /** How many bytes to ask for next. */
        int step() {
            return bytesPerSecond <= 0 ? BLOCK : (int) Math.max(1, Math.min(BLOCK, bytesPerSecond / 20));
        }

        /** Records {@code n} bytes and sleeps until they are due: pacing, not waiting for a condition. */
        void took(int n) throws java.io.InterruptedIOException {
            bytes += n;
            if (bytesPerSecond <= 0) {
                return;
            }
            long aheadNanos = (long) (bytes * 1e9 / bytesPerSecond) - (System.nanoTime() - start);
            if (aheadNanos > 0) {
                try {
                    Thread.sleep(aheadNanos / 1_000_000, (int) (aheadNanos % 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while throttled");
                }
            }
        }
    }

    private Bodies() {
    }
}
