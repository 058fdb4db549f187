package dev.portsicle.agent;

import dev.portsicle.net.BytePipe;
import dev.portsicle.net.Forwarding;
import dev.portsicle.net.HeaderEdits;
import dev.portsicle.protocol.StreamBytesCodec;
import dev.portsicle.protocol.StreamHeaders;
import dev.portsicle.protocol.StreamReuse;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.ConnectException;
import java.util.concurrent.TimeUnit;

/**
 * One stream the relay opened: each HTTP/1.1 request on it goes to the local server over a pooled
 * connection, and the response comes back on the stream; a stream carries its visitor connection's
 * exchanges one after another while {@link StreamReuse} allows. Both directions follow the
 * {@link Forwarding} rule. Stream and local connection share one event loop, so nothing here needs a lock.
 */
final class LocalExchange extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger("portsicle");

    private final AgentConfig config;
    private final LocalPool pool;
    private Channel stream;
    /** The relay has had our {@code :status} HEADERS: a later answer goes as trailers. */
    private boolean answered;
    /** The stream carries nothing more: answered with an error, broken off, upgraded or ending. */
    private boolean closed;

    // the exchange in progress, reset when the stream is reused
    private Channel local;
    private HttpRequest request;
    private String line;
    private long started;
    private int status;
    private boolean requestDone;
    private boolean responseStarted;
    private boolean responseDone;
    private boolean interim;
    private boolean keepAlive;
    private boolean reusable;

    LocalExchange(AgentConfig config, LocalPool pool) {
        this.config = config;
        this.pool = pool;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        stream = ctx.channel();
        ctx.read(); // the opening HEADERS
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http2HeadersFrame headers) {
            StreamHeaders.Open open = StreamHeaders.Open.of(headers.headers());
            if (!StreamHeaders.KIND_HTTP.equals(open.kind())) {
                answer(new StreamHeaders.Answer(501, "this agent serves http streams only"));
                return;
            }
            ctx.read();
        } else if (msg instanceof HttpRequest req) {
            onRequest(req);
        } else if (msg instanceof HttpContent content) {
            if (local == null || closed) {
                content.release(); // the rest of a request we already answered: read it out so the stream can close
                ctx.read();
            } else if (content instanceof LastHttpContent) {
                requestDone = true; // handed over in order; a failed write closes the local connection
                local.writeAndFlush(content).addListener((ChannelFutureListener) f -> {
                    if (!f.isSuccess()) {
                        abort();
                    }
                });
                maybeRelease();
            } else {
                Forwarding.forward(content, local, stream, this::abort);
            }
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onRequest(HttpRequest req) {
        request = req;
        started = System.nanoTime();
        line = req.method().name() + " " + req.uri();
        if (req.decoderResult().isFailure()) {
            answer(new StreamHeaders.Answer(400, "the relay sent a malformed request"));
            return;
        }
        if (config.hostHeader() == AgentConfig.HostHeader.REWRITE) {
            if (req.headers().contains(HttpHeaderNames.HOST)) {
                boolean[] first = {true}; // one Host, where the first one stood
                HeaderEdits.editInPlace(req.headers(), HttpHeaderNames.HOST.toString(), host -> {
                    String value = first[0] ? config.localAuthority() : null;
                    first[0] = false;
                    return value;
                });
            } else {
                req.headers().add(HttpHeaderNames.HOST, config.localAuthority());
            }
        }
        keepAlive = HttpUtil.isKeepAlive(req);
        pool.acquire().addListener(acquired -> {
            if (!acquired.isSuccess()) {
                answer(new StreamHeaders.Answer(502, unreachable(acquired.cause())));
                return;
            }
            local = (Channel) acquired.getNow();
            if (closed) {
                local.close();
                return;
            }
            LocalPool.bind(local, this);
            if (!answered) {
                answered = true;
                stream.write(new DefaultHttp2HeadersFrame(StreamHeaders.Answer.CONNECTED.toHeaders()));
            }
            Forwarding.forward(req, local, stream, this::abort);
            local.read();
        });
    }

    /** What the local server sent on the connection this exchange holds. */
    void fromLocal(Object msg) {
        if (closed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse response) {
            if (response.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
                failLocal("the local server sent a malformed response");
                return;
            }
            if (response.status().code() == 101) {
                responseStarted = true;
                status = 101;
                stream.writeAndFlush(response).addListener((ChannelFutureListener) f -> {
                    if (f.isSuccess()) {
                        upgraded();
                    } else {
                        abort();
                    }
                });
                return;
            }
            if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                interim = true;
            } else {
                responseStarted = true;
                status = response.status().code();
                keepAlive &= HttpUtil.isKeepAlive(response);
                reusable = StreamReuse.reusable(request, response);
            }
            Forwarding.forward(response, stream, local, this::abort);
        } else if (msg instanceof HttpContent content) {
            if (content.decoderResult().isFailure()) {
                content.release();
                failLocal("the local server broke off its response");
            } else if (content instanceof LastHttpContent && interim) {
                interim = false; // the end of a 100 Continue: the encoder needs it, the exchange goes on
                Forwarding.forward(content, stream, local, this::abort);
            } else if (content instanceof LastHttpContent) {
                responseDone = true;
                if (reusable) {
                    stream.writeAndFlush(content);
                } else {
                    stream.write(content);
                    stream.writeAndFlush(StreamBytesCodec.endStream());
                }
                logLine();
                maybeRelease();
            } else {
                Forwarding.forward(content, stream, local, this::abort);
            }
        } else {
            ReferenceCountUtil.release(msg);
            local.read();
        }
    }

    /**
     * The local server switched protocols: the stream and the local connection carry raw bytes both ways
     * from now on, and that connection never goes back to the pool.
     */
    private void upgraded() {
        if (closed) {
            return;
        }
        closed = true;
        logLine();
        LocalPool.bind(local, null);
        stream.pipeline().remove(HttpServerCodec.class);
        stream.pipeline().remove(this);
        LocalPool.stripHttp(local);
        BytePipe.join(stream, StreamBytesCodec.PIPE_END, local, BytePipe.End.SOCKET);
    }

    /** The local connection closed: fine after a response, otherwise the visitor hears about it. */
    void localClosed() {
        if (!responseDone) {
            failLocal("the local server closed the connection without a complete response");
        }
    }

    private void failLocal(String reason) {
        if (closed) {
            return;
        }
        if (responseStarted) {
            log.info("{} {} (broken off: {})", line, status, reason);
            abort();
        } else {
            answer(new StreamHeaders.Answer(502, reason));
        }
    }

    /** Both directions are complete: the local connection can serve the next exchange, the stream too. */
    private void maybeRelease() {
        if (!requestDone || !responseDone || closed || local == null) {
            return;
        }
        if (keepAlive && local.isActive()) {
            pool.release(local);
        } else {
            local.close();
        }
        if (reusable) {
            local = null;
            request = null;
            requestDone = responseStarted = responseDone = interim = reusable = false;
        } else {
            closed = true;
        }
        // The next request, or the relay's END_STREAM, so the stream closes and its codec lets go.
        stream.read();
    }

    /** An answer from the agent itself (local server unreachable, ...), ending the stream. */
    private void answer(StreamHeaders.Answer answer) {
        closed = true;
        status = answer.status();
        stream.writeAndFlush(new DefaultHttp2HeadersFrame(answered ? answer.toTrailers() : answer.toHeaders(), true));
        stream.read(); // drain what the relay still sends (an upload's body), else the stream never closes
        if (local != null) {
            local.close();
        }
        log.info("{} {} ({})", line == null ? "stream" : line, answer.status(), answer.error());
    }

    private void abort() {
        closed = true;
        stream.close();
        if (local != null) {
            local.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!closed && !(requestDone && responseDone)) {
            closed = true; // the relay reset the stream: the visitor is gone
            if (local != null) {
                local.close();
            }
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("stream {} failed", ctx.channel(), cause);
        abort();
    }

    private void logLine() {
        log.info("{} {} {}ms", line, status, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    private String unreachable(Throwable cause) {
        String why = cause instanceof ConnectException ? "connection refused" : String.valueOf(cause.getMessage());
        return "the local server at " + config.localAuthority() + " is unreachable (" + why
                + "): is it running?";
    }
}
