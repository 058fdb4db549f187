package dev.portsicle.protocol;

/** Names and numbers both ends of a session must agree on. */
public final class Protocol {
    /**
     * Bumped on any incompatible change; checked before the WebSocket upgrade. 2: bind carries the
     * access rules (an older relay would ignore them and leave a tunnel open that was meant to be shut).
     * 3: an HTTP stream carries its visitor connection's keep-alive exchanges one after another
     * ({@link StreamReuse}); an older agent would end each stream and leave the next request unanswered.
     */
    public static final int VERSION = 3;

    /** Where agents upgrade to their WebSocket; relay paths live under /_portsicle/ so apps keep theirs. */
    public static final String TUNNEL_PATH = "/_portsicle/tunnel";
    public static final String RESERVED_PREFIX = "/_portsicle/";

    /** Upgrade request header carrying {@link #VERSION}. */
    public static final String VERSION_HEADER = "Portsicle-Protocol";

    /** Upgrade request header carrying the agent's token, as {@code Bearer TOKEN}. */
    public static final String TOKEN_HEADER = "Authorization";

    /** Response header with the relay's reason when it refuses an agent's upgrade (a 4xx status). */
    public static final String REFUSAL_HEADER = "Portsicle-Refusal";

    /** Largest WebSocket frame either side sends or accepts; bigger writes are split. */
    public static final int MAX_WEBSOCKET_FRAME = 1024 * 1024;

    /** Largest control message (JSON text frame). */
    public static final int MAX_CONTROL_MESSAGE = 64 * 1024;

    private Protocol() {
    }
}
