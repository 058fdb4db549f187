package dev.portsicle.relay;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;

/**
 * The answers the relay gives itself (unknown tunnel, local server down, ...): a small HTML page for
 * browsers, plain text for everything else, and a {@code X-Portsicle-Error} header so scripts can tell
 * them from the local server's own errors.
 */
final class ErrorPages {
    static final String MARKER = "X-Portsicle-Error";

    static FullHttpResponse page(HttpResponseStatus status, String detail, HttpHeaders requestHeaders) {
        String accept = requestHeaders == null ? null : requestHeaders.get(HttpHeaderNames.ACCEPT);
        boolean html = accept != null && accept.contains("text/html");
        String title = status.code() + " " + status.reasonPhrase();
        String body = html
                ? "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + escape(title) + "</title></head>"
                  + "<body style=\"font-family:sans-serif;max-width:40em;margin:4em auto\"><h1>" + escape(title)
                  + "</h1><p>" + escape(detail) + "</p><hr><p><small>portsicle relay</small></p></body></html>\n"
                : title + "\n" + detail + "\n";
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, html ? "text/html; charset=utf-8" : "text/plain; charset=utf-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes())
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
                .set(MARKER, status.code());
        return response;
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private ErrorPages() {
    }
}
