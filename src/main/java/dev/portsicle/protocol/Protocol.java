package dev.portsicle.protocol;

/** Names and numbers both ends of a session must agree on. */
public final class Protocol {
    /** Bumped on any incompatible change; checked before the WebSocket upgrade. */
    public static final int VERSION = 1;

    /** Where agents upgrade to their WebSocket; relay paths live under /_portsicle/ so apps keep theirs. */
    public static final String TUNNEL_PATH = "/_portsicle/tunnel";
    public static final String RESERVED_PREFIX = "/_portsicle/";

    /** Upgrade request header carrying {@link #VERSION}. */
    public static final String VERSION_HEADER = "Portsicle-Protocol";

    /** Largest WebSocket frame either side sends or accepts; bigger writes are split. */
    public static final int MAX_WEBSOCKET_FRAME = 1024 * 1024;

    /** Largest control message (JSON text frame). */
    public static final int MAX_CONTROL_MESSAGE = 64 * 1024;

    private Protocol() {
    }
}
