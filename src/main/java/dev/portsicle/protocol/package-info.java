/**
 * The wire protocol between agent and relay, readable top to bottom in this package.
 *
 * <pre>
 *  agent                                                     relay
 *    │  GET /_portsicle/tunnel  Upgrade: websocket               │
 *    │  Portsicle-Protocol: 3                                    │
 *    │ ────────────────────────────────────────────────────────▶ │
 *    │ ◀──────────────────────────── 101 Switching Protocols ─── │
 *    │  text  {"type":"hello","version":3}                       │   control messages: WebSocket
 *    │ ────────────────────────────────────────────────────────▶ │   text frames, one JSON object
 *    │  text  {"type":"bind","ref":1,"kind":"http",...}          │   each ({@link ControlMessage})
 *    │ ────────────────────────────────────────────────────────▶ │
 *    │ ◀────── text {"type":"bound","ref":1,"tunnel":..,"url":..} │
 *    │                                                           │
 *    │ ◀═══ binary frames: one HTTP/2 connection, relay = client ═│   streams: HTTP/2 over the
 *    │      stream n: HEADERS (kind, tunnel, visitor)             │   binary frames
 *    │                DATA ... (the visitor's bytes)              │   ({@link WebSocketBytesCodec})
 *    │ ═══▶ stream n: HEADERS :status 200 (or 502 + reason)       │
 *    │                DATA ... (the local server's bytes)         │
 *    │ ◀═══ stream n: DATA ... (the visitor's next request)       │   kept-alive: no new stream
 *    │ ═══▶ stream n: DATA ... (its response)                     │   ({@link StreamReuse})
 * </pre>
 *
 * <p>A stream is a virtual connection for one visitor connection's exchanges with one tunnel: after
 * its opening HEADERS ({@link StreamHeaders}) it carries opaque bytes both ways (HTTP/1.1 requests and
 * their responses, one exchange after another while both ends agree it may go on, or raw bytes after
 * an upgrade or in a TCP tunnel), END_STREAM is a half-close and RST_STREAM an abort. HTTP/2 gives
 * every stream its own flow-control window, so a slow visitor slows only its own stream
 * ({@link Multiplexer}). {@link StreamBytesCodec} turns a stream's frames into plain bytes so
 * the ordinary HTTP/1.1 codecs of Netty run on top of it. Frames are up to 256 KiB
 * ({@code Transport.CHUNK}), the size of a socket read, so a body moves in few pieces. As a WebSocket
 * client the agent masks its frames: with random keys over ws://, with the key zero over wss://, where
 * no intermediary sees the bytes (the relay accepts both as RFC 6455 masked frames, and unmasks them in
 * place ahead of Netty's decoder: {@link FrameUnmasker}).
 */
package dev.portsicle.protocol;
