/**
 * The agent: dials the relay, upgrades to one WebSocket, binds a tunnel, and serves every stream the
 * relay opens by forwarding it to the local server over a pool of keep-alive connections.
 *
 * <p>Relay connection pipeline: {@code SslHandler} (wss://, certificate checked as {@link dev.portsicle.agent.RelayTrust}
 * says), {@code HttpClientCodec}, {@code HttpObjectAggregator} (handshake only),
 * {@code WebSocketClientProtocolHandler}, {@code WebSocketFrameAggregator},
 * {@link dev.portsicle.protocol.WebSocketBytesCodec}, then after the handshake the HTTP/2 codec and
 * multiplexer, and {@link dev.portsicle.agent.AgentSessionHandler}. Each stream:
 * {@link dev.portsicle.protocol.StreamBytesCodec}, {@code HttpServerCodec}, {@link dev.portsicle.net.MessageReads},
 * {@link dev.portsicle.agent.LocalExchange}.
 */
package dev.portsicle.agent;
