/**
 * The relay: the public side. One port serves visitors (HTTP/1.1) and agents (a WebSocket upgrade on
 * {@code /_portsicle/tunnel}); each visitor request is routed to a tunnel and carried as a stream of
 * the owning agent's session.
 *
 * <p>Visitor pipeline, in order: {@code SslHandler} (with {@link dev.portsicle.relay.RelayTls}),
 * {@code FlushConsolidationHandler} (one write per event-loop turn), {@code IdleStateHandler}, the
 * {@link dev.portsicle.relay.HeaderTimeout} byte watch, {@code HttpServerCodec}, the {@code HeaderTimeout}
 * head watch, {@link dev.portsicle.net.MessageReads} (one decoded message per read, reading one socket
 * read ahead), {@link dev.portsicle.relay.VisitorHandler}. An agent's connection is the same pipeline
 * (less the flush handler) until its upgrade, then: WebSocket codec, {@code WebSocketFrameAggregator},
 * {@link dev.portsicle.protocol.WebSocketBytesCodec}, HTTP/2 codec and multiplexer,
 * {@link dev.portsicle.relay.AgentSession}.
 *
 * <p>Threads: a visitor's exchange runs on its connection's event loop and a stream on its session's;
 * what crosses between them is handed over when the two differ. {@link dev.portsicle.relay.LoopAffinity}
 * places new connections so that they mostly do not.
 */
package dev.portsicle.relay;
