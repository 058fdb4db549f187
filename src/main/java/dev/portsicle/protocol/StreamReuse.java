package dev.portsicle.protocol;

import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;

/**
 * When an HTTP stream carries the next exchange of its visitor connection instead of ending. Opening and
 * closing a stream per exchange (a child channel, HEADERS both ways, two END_STREAMs) was the largest
 * cost left per small request; ngrok and frp likewise keep one stream per visitor connection.
 *
 * <p>Relay and agent decide alike from what both saw: the request as the relay forwarded it and the
 * response as the local server sent it. When the exchange is reusable neither side ends the stream and
 * the relay may send the visitor's next request on it (one at a time, never pipelined); otherwise both
 * end it as before. The body must frame its own end, since END_STREAM no longer marks it.
 */
public final class StreamReuse {

    /** Whether the stream outlives this exchange, once both its request and its final response are whole. */
    public static boolean reusable(HttpRequest request, HttpResponse response) {
        return HttpUtil.isKeepAlive(request) && HttpUtil.isKeepAlive(response) && selfFramed(request, response);
    }

    private static boolean selfFramed(HttpRequest request, HttpResponse response) {
        int code = response.status().code();
        return code == 204 || code == 304 || HttpMethod.HEAD.equals(request.method())
                || HttpUtil.isContentLengthSet(response) || HttpUtil.isTransferEncodingChunked(response);
    }

    private StreamReuse() {
    }
}
