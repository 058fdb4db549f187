package dev.portsicle.testing;

import dev.portsicle.protocol.Protocol;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client on a plain socket that can misbehave on purpose: it upgrades at the relay's agent
 * path like an agent, then writes whatever frames the test asks for (masked, as a client must), also
 * ones no real agent would send: garbage, oversize, fragments, frames that lie about their length.
 */
public final class RawWebSocket implements AutoCloseable {
    public static final int TEXT = 0x1;
    public static final int BINARY = 0x2;
    public static final int CONTINUATION = 0x0;
    public static final int CLOSE = 0x8;

    /** A frame as received (the relay's frames are not masked). */
    public record Frame(boolean fin, int opcode, byte[] payload) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    private RawWebSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Connects to the relay on {@code 127.0.0.1:port} and upgrades at {@code /_portsicle/tunnel}. */
    public static RawWebSocket connect(int port) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(5_000);
        RawWebSocket ws = new RawWebSocket(socket);
        byte[] nonce = new byte[16];
        ThreadLocalRandom.current().nextBytes(nonce);
        ws.out.write(("GET /_portsicle/tunnel HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n"
                      + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                      + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\n"
                      + Protocol.VERSION_HEADER + ": " + Protocol.VERSION + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        String head = Streams.readUntil(ws.in, "\r\n\r\n");
        if (!head.startsWith("HTTP/1.1 101")) {
            socket.close();
            throw new IOException("no upgrade: " + head);
        }
        return ws;
    }

    public RawWebSocket sendText(String text) throws IOException {
        return send(true, TEXT, text.getBytes(StandardCharsets.UTF_8));
    }

    public RawWebSocket sendBinary(byte[] payload) throws IOException {
        return send(true, BINARY, payload);
    }

    /** One frame, masked, with its true length. */
    public RawWebSocket send(boolean fin, int opcode, byte[] payload) throws IOException {
        writeHeader(fin, opcode, payload.length);
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        out.write(mask);
        byte[] masked = new byte[payload.length];
        for (int i = 0; i < payload.length; i++) {
            masked[i] = (byte) (payload[i] ^ mask[i & 3]);
        }
        out.write(masked);
        out.flush();
        return this;
    }

    /**
     * Only the header of a frame that says it carries {@code length} bytes, and a zero mask: the payload
     * (or as much of it as the peer takes) is up to the test.
     */
    public RawWebSocket sendHeaderOnly(boolean fin, int opcode, long length) throws IOException {
        writeHeader(fin, opcode, length);
        out.write(new byte[4]);
        out.flush();
        return this;
    }

    private void writeHeader(boolean fin, int opcode, long length) throws IOException {
        out.write((fin ? 0x80 : 0) | opcode);
        if (length < 126) {
            out.write(0x80 | (int) length);
        } else if (length <= 0xffff) {
            out.write(0x80 | 126);
            out.write((int) (length >> 8));
            out.write((int) length);
        } else {
            out.write(0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                out.write((int) (length >> shift));
            }
        }
    }

    public OutputStream output() {
        return out;
    }

    /** The next frame from the relay; times out after 5 s. */
    public Frame read() throws IOException {
        int b0 = in.readUnsignedByte();
        int b1 = in.readUnsignedByte();
        long length = b1 & 0x7f;
        if (length == 126) {
            length = in.readUnsignedShort();
        } else if (length == 127) {
            length = in.readLong();
        }
        byte[] payload = new byte[Math.toIntExact(length)];
        in.readFully(payload);
        return new Frame((b0 & 0x80) != 0, b0 & 0x0f, payload);
    }

    /** The next text frame, skipping binary ones (the relay's HTTP/2 bytes). */
    public String readText() throws IOException {
        while (true) {
            Frame frame = read();
            if (frame.opcode() == TEXT) {
                return frame.text();
            }
            if (frame.opcode() == CLOSE) {
                throw new EOFException("closed by the relay");
            }
        }
    }

    /**
     * Reads and drops whatever the relay still sends until it closes the connection; true if it did
     * within {@code timeoutMillis}, false if the connection stayed open.
     */
    public boolean awaitClosedByPeer(int timeoutMillis) throws IOException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        InputStream raw = socket.getInputStream();
        byte[] sink = new byte[64 * 1024];
        while (true) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                return false;
            }
            socket.setSoTimeout((int) left);
            try {
                if (raw.read(sink) < 0) {
                    return true;
                }
            } catch (SocketTimeoutException e) {
                return false;
            } catch (SocketException e) {
                return true; // reset
            }
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
