package dev.portsicle.testing;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/** Deterministic bodies of any size, generated as they are read, and their digests. */
public final class Bodies {

    /** {@code length} bytes from a seeded generator; two calls with the same seed give the same bytes. */
    public static InputStream pattern(long length, long seed) {
        return new InputStream() {
            private final SplittableRandom random = new SplittableRandom(seed);
            private final byte[] block = new byte[64 * 1024];
            private int blockPos = block.length;
            private long left = length;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
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
        };
    }

    public static String sha256(InputStream in) throws IOException {
        MessageDigest sha = newSha();
        byte[] buf = new byte[64 * 1024];
        int n;
        while ((n = in.read(buf)) >= 0) {
            sha.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    public static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(newSha().digest(bytes));
    }

    public static String patternSha256(long length, long seed) throws IOException {
        return sha256(pattern(length, seed));
    }

    static MessageDigest newSha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private Bodies() {
    }
}
