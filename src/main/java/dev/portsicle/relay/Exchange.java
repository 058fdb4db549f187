package dev.portsicle.relay;

import dev.portsicle.net.LingeringClose;
import dev.portsicle.net.BytePipe;
import dev.portsicle.net.Forwarding;
import dev.portsicle.net.MessageReads;
import dev.portsicle.net.Transport;
import dev.portsicle.protocol.StreamBytesCodec;
import dev.portsicle.protocol.StreamHeaders;
import dev.portsicle.protocol.StreamReuse;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One visitor request and its response, carried by a stream of the tunnel's session: a new one, or the
 * one its visitor connection's last exchange left open ({@link StreamReuse}).
 *
 * <p>Both directions follow the {@link Forwarding} rule, so a slow visitor or a slow local server holds
 * back only this stream. Everything here runs on the visitor's event loop; what the stream delivers is
 * handed over to it.
 */
final class Exchange {
    private static final Logger log = LoggerFactory.getLogger(Exchange.class);
    /** Response heads from the agent are the local server's: allow what a browser would. */
    private static final HttpDecoderConfig RESPONSE_DECODER = new HttpDecoderConfig()
            .setMaxInitialLineLength(16 * 1024).setMaxHeaderSize(256 * 1024).setMaxChunkSize(Transport.CHUNK);

    /** Told what becomes of the visitor connection and the stream as the exchange ends. */
    interface Done {
        /**
         * Request and response are both through {@code stream}, which may carry the connection's next
         * request: told before the visitor has the response's end, so that the stream is parked (and can
         * give its place to another connection's request) by the time the visitor can send another.
         */
        void streamIdle(Http2StreamChannel stream);

        /** The exchange is over; whether the visitor connection may carry another request. */
        void exchangeDone(boolean keepAlive);

        /** The connection is a byte pipe now: the HTTP handlers leave the visitor pipeline. */
        void upgraded();
    }

    private final Channel visitor;
    private final VisitorAddress from;
    private final HttpRequest request;
    private final Router.Route route;
    private final String scheme;
    private final Done done;
    private final long started = System.nanoTime();
    private final String method;
    private final String target;
    private boolean keepAlive;

    private Http2StreamChannel stream;
    private boolean requestDone;
    private boolean responseStarted;
    private boolean responseDone;
    private boolean interim;
    private boolean reusable;
    /** The stream went back to the visitor connection for its next request (see {@link Done#streamIdle}). */
    private boolean parked;
    private boolean finished;
    private int status;

    /** {@code kept}: the stream this connection's last exchange left open for the same tunnel, or null. */
    Exchange(Channel visitor, HttpRequest request, Router.Route route, VisitorAddress from, String scheme, Done done,
             Http2StreamChannel kept) {
        this.visitor = visitor;
        this.stream = kept;
        this.from = from;
        this.request = request;
        this.route = route;
        this.scheme = scheme;
        this.done = done;
        this.method = request.method().name();
        this.target = request.uri();
        this.keepAlive = HttpUtil.isKeepAlive(request);
    }

    Tunnel tunnel() {
        return route.tunnel();
    }

    void start() {
        HttpRewrites.request(request, route, from, scheme);
        if (stream != null) {
            stream.pipeline().get(StreamHandler.class).exchange = this;
            sendRequest();
            return;
        }
        route.tunnel().openStream(new StreamInitializer()).addListener(opened -> onVisitorLoop(() -> {
            if (!opened.isSuccess()) {
                ReferenceCountUtil.release(request);
                answerError(HttpResponseStatus.SERVICE_UNAVAILABLE,
                        "The tunnel cannot take more requests right now: " + opened.cause().getMessage());
                return;
            }
            stream = (Http2StreamChannel) opened.getNow();
            if (finished) {
                ReferenceCountUtil.release(request);
                stream.close();
                return;
            }
            StreamHeaders.Open open = new StreamHeaders.Open(StreamHeaders.KIND_HTTP, route.tunnel().id(), from.text());
            stream.write(new DefaultHttp2HeadersFrame(open.toHeaders()));
            sendRequest();
        }));
    }

    private void sendRequest() {
        Forwarding.forward(request, stream, visitor, this::requestLost);
        stream.read(); // the agent's answer
    }

    /** A piece of the request body from the visitor. */
    void requestContent(HttpContent content) {
        if (finished || stream == null) {
            content.release();
            return;
        }
        if (content.decoderResult().isFailure()) {
            content.release();
            abort();
            return;
        }
        if (content instanceof LastHttpContent) {
            // Done once handed over: writes to the stream leave in order, and a failed one is answered.
            requestDone = true;
            stream.writeAndFlush(content).addListener((ChannelFutureListener) f -> {
                if (!f.isSuccess()) {
                    requestLost();
                }
            });
            maybeFinish();
        } else {
            Forwarding.forward(content, stream, visitor, this::requestLost);
        }
    }

    /** What the stream delivered: the agent's answer, then the response. Runs on the visitor loop. */
    private void fromStream(Object msg) {
        if (finished) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof Http2HeadersFrame headers) {
            StreamHeaders.Answer answer = StreamHeaders.Answer.of(headers.headers());
            if (answer.connected()) {
                stream.read();
            } else {
                answerError(HttpResponseStatus.valueOf(answer.status()), answer.error());
            }
        } else if (msg instanceof HttpResponse response) {
            if (response.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
                answerError(HttpResponseStatus.BAD_GATEWAY, "The local server sent a malformed response: "
                        + response.decoderResult().cause().getMessage());
                return;
            }
            if (response.status().code() == 101) {
                responseStarted = true;
                status = 101;
                HttpRewrites.response(response, request, route, false);
                visitor.writeAndFlush(response).addListener((ChannelFutureListener) f -> {
                    if (f.isSuccess()) {
                        onVisitorLoop(this::upgraded);
                    } else {
                        abort();
                    }
                });
                return;
            }
            if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                interim = true; // 100 Continue and friends: forwarded, then the real response follows
            } else {
                responseStarted = true;
                status = response.status().code();
                reusable = StreamReuse.reusable(request, response); // as the agent decides: before our rewrites
                keepAlive = HttpRewrites.response(response, request, route, keepAlive);
            }
            Forwarding.forward(response, visitor, stream, this::abort);
        } else if (msg instanceof HttpContent content) {
            if (content.decoderResult().isFailure()) {
                content.release();
                abort(); // the agent or local server cut the body short: the visitor must see it cut too
            } else if (content instanceof LastHttpContent && interim) {
                interim = false; // the end of a 100 Continue: the encoder needs it, the exchange goes on
                Forwarding.forward(content, visitor, stream, this::abort);
            } else if (content instanceof LastHttpContent) {
                responseDone = true;
                if (requestDone && reusable) {
                    park();
                }
                visitor.writeAndFlush(content).addListener((ChannelFutureListener) f -> {
                    if (f.isSuccess()) {
                        maybeFinish();
                    } else {
                        abort();
                    }
                });
            } else {
                Forwarding.forward(content, visitor, stream, this::abort);
            }
        } else {
            ReferenceCountUtil.release(msg);
            stream.read();
        }
    }

    /**
     * The local server switched protocols (a WebSocket, say): from now on the visitor connection and the
     * stream carry raw bytes both ways, with no HTTP codec and no idle cut-off in between.
     */
    private void upgraded() {
        if (finished) {
            return;
        }
        finish();
        log.info("{} {} {} 101 (upgraded)", route.tunnel().id(), method, target);
        done.upgraded();
        // The stream's pipeline changes on the stream's own event loop: a decoder taken out from another
        // thread while bytes pass through it could keep what it held.
        try {
            stream.eventLoop().execute(() -> {
                stream.pipeline().remove(HttpClientCodec.class);
                stream.pipeline().remove(StreamHandler.class);
                BytePipe.join(visitor, BytePipe.End.SOCKET, stream, StreamBytesCodec.PIPE_END);
            });
        } catch (RejectedExecutionException e) {
            visitor.close(); // the relay is closing
        }
    }

    private void maybeFinish() {
        if (finished || !responseDone) {
            return;
        }
        if (requestDone && reusable) {
            if (!parked) {
                park(); // the request ended after the response
            }
            finish();
            done.exchangeDone(keepAlive);
            return;
        }
        if (requestDone) {
            // Our END_STREAM only now (a stream closed both ways drops what its reader has not taken yet),
            // and one more read to take the agent's END_STREAM, so the stream closes and its codec lets go.
            stream.writeAndFlush(StreamBytesCodec.endStream());
            stream.read();
        } else {
            // The local server answered before the upload ended: we cannot resync the visitor connection.
            keepAlive = false;
            stream.close();
        }
        finish();
        done.exchangeDone(keepAlive);
    }

    /** The stream leaves this exchange for the connection's next; a read stays posted so its end is noticed. */
    private void park() {
        parked = true;
        stream.pipeline().get(StreamHandler.class).exchange = null;
        stream.read();
        done.streamIdle(stream);
    }

    private void finish() {
        finished = true;
        if (log.isDebugEnabled()) {
            log.debug("{} {} {} {} {}ms", route.tunnel().id(), method, target, status,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        }
    }

    /** The stream ended before the response did. */
    private void streamClosed() {
        if (finished || responseDone) {
            return;
        }
        if (responseStarted) {
            abort();
        } else if (route.tunnel().session().channel().isActive()) {
            answerError(HttpResponseStatus.BAD_GATEWAY, "The tunnel's agent ended this exchange before the local "
                    + "server answered.");
        } else {
            answerError(HttpResponseStatus.SERVICE_UNAVAILABLE, "Tunnel reconnecting: its agent went away before "
                    + "the local server answered. Try again in a few seconds.");
        }
    }

    /** The request could not be written to the stream (its session ended): answered as a stream that closed. */
    private void requestLost() {
        onVisitorLoop(this::streamClosed);
    }

    /** The visitor went away: stop the stream so the agent stops too. */
    void visitorGone() {
        if (!finished) {
            finish();
            if (stream != null) {
                stream.close();
            }
        }
    }

    /** An answer of the relay's own, instead of the local server's; the connection closes after it. */
    private void answerError(HttpResponseStatus status, String detail) {
        this.status = status.code();
        finish();
        if (stream != null) {
            stream.close();
        }
        if (responseStarted) {
            visitor.close();
            return;
        }
        HttpResponse page = ErrorPages.page(status, detail, request.headers());
        HttpUtil.setKeepAlive(page.headers(), request.protocolVersion(), false);
        LingeringClose.after(visitor.writeAndFlush(page));
        log.info("{} {} {} {} ({})", route.tunnel().id(), method, target, status.code(), detail);
    }

    /** Something broke mid-way: both ends are closed, which is how HTTP/1.1 says "incomplete". */
    private void abort() {
        onVisitorLoop(() -> {
            if (!finished) {
                finish();
            }
            if (stream != null) {
                stream.close();
            }
            visitor.close();
        });
    }

    /** Runs {@code task} on the visitor's event loop; false when that loop is shutting down (relay closing). */
    private boolean onVisitorLoop(Runnable task) {
        if (visitor.eventLoop().inEventLoop()) {
            task.run();
            return true;
        }
        try {
            visitor.eventLoop().execute(task);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    /** A stream's pipeline: frames to bytes, HTTP/1.1 on top, one message per read, then us. */
    private final class StreamInitializer extends ChannelInitializer<Http2StreamChannel> {
        @Override
        protected void initChannel(Http2StreamChannel ch) {
            ch.pipeline().addLast(new StreamBytesCodec(), new HttpClientCodec(RESPONSE_DECODER, false, false));
            MessageReads.addTo(ch.pipeline());
            ch.pipeline().addLast(Forwarding.resumer(), new StreamHandler(Exchange.this));
        }
    }

    /**
     * Hands what the stream delivers to its exchange, on the visitor's event loop. A parked stream has
     * none: the agent sends nothing between exchanges, so whatever comes then ends the stream.
     */
    private static final class StreamHandler extends ChannelInboundHandlerAdapter {
        volatile Exchange exchange;

        StreamHandler(Exchange exchange) {
            this.exchange = exchange;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Exchange to = exchange;
            if (to == null) {
                ReferenceCountUtil.release(msg);
                ctx.close();
            } else if (!to.onVisitorLoop(() -> to.fromStream(msg))) {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            Exchange to = exchange;
            if (to != null) {
                to.onVisitorLoop(to::streamClosed);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("stream {} failed", ctx.channel(), cause);
            ctx.close();
        }
    }
}
