package dev.portsicle.agent;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshaker13;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;

import java.net.URI;

/**
 * The agent's WebSocket handshake with the relay, and how its frames are masked afterwards.
 *
 * <p>RFC 6455 makes clients mask every frame with a random key so that a plain-text intermediary that
 * misreads the stream as HTTP cannot be fed a request an attacker wrote. Over TLS no intermediary sees
 * the bytes, so the agent sends the key zero there: still a masked frame to the relay, with none of the
 * per-byte work. Over plain ws:// the key is random, as the RFC says, and {@link MaskingFrameEncoder} does
 * the masking.
 */
final class RelayHandshaker extends WebSocketClientHandshaker13 {
    private static final long FORCE_CLOSE_MILLIS = 10_000;
    private final boolean tls;

    RelayHandshaker(URI uri, boolean tls, HttpHeaders headers, int maxFramePayload) {
        super(uri, WebSocketVersion.V13, null, false, headers, maxFramePayload, true, false, FORCE_CLOSE_MILLIS);
        this.tls = tls;
    }

    @Override
    protected WebSocketFrameEncoder newWebSocketEncoder() {
        return tls ? new WebSocket13FrameEncoder(() -> 0) : new MaskingFrameEncoder();
    }
}
