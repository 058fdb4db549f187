package dev.portsicle.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** Reading a live response (an event stream, a WebSocket handshake) as it arrives. */
public final class Streams {

    /** Reads until {@code marker} has arrived; everything read so far. Fails if the stream ends first. */
    public static String readUntil(InputStream in, String marker) throws IOException {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        while (!seen.toString(StandardCharsets.ISO_8859_1).contains(marker)) {
            int n = in.read(buf);
            if (n < 0) {
                throw new IOException("stream ended before " + marker + ": " + seen);
            }
            seen.write(buf, 0, n);
        }
        return seen.toString(StandardCharsets.ISO_8859_1);
    }

    private Streams() {
    }
}
