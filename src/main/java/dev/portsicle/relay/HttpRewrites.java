package dev.portsicle.relay;

import dev.portsicle.net.HeaderEdits;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.cookie.DefaultCookie;
import io.netty.handler.codec.http.cookie.ServerCookieEncoder;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the relay changes in a message it forwards, and nothing more: hop-by-hop headers (RFC 9110
 * section 7.6.1) belong to each connection, the {@code X-Forwarded-*} headers tell the local server who
 * asked, and path-mode pages get the routing cookie. Everything else (names, case, order, repeats)
 * passes as it came.
 */
final class HttpRewrites {
    private static final List<String> HOP_BY_HOP = List.of(
            "connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade");

    /** Prepares a visitor request for the tunnel, in place. */
    static void request(HttpRequest request, Router.Route route, VisitorAddress from, String scheme) {
        HttpHeaders headers = request.headers();
        String host = headers.get(HttpHeaderNames.HOST);
        removeHopByHop(headers, isUpgrade(request));
        removeRoutingCookie(headers);
        request.setUri(route.target());
        // What a visitor claims about earlier hops is dropped, unless a proxy we trust said it.
        headers.set("X-Forwarded-For", from.forwardedFor());
        if (!from.viaProxy() || !headers.contains("X-Forwarded-Proto")) {
            headers.set("X-Forwarded-Proto", scheme);
        }
        if (host != null && (!from.viaProxy() || !headers.contains("X-Forwarded-Host"))) {
            headers.set("X-Forwarded-Host", host);
        }
    }

    /**
     * Prepares a response for the visitor, in place. Returns false when the visitor connection must close
     * after it (a close-delimited body for a visitor that cannot take chunked).
     */
    static boolean response(HttpResponse response, HttpRequest request, Router.Route route, boolean keepAlive) {
        HttpHeaders headers = response.headers();
        boolean upgraded = response.status().equals(HttpResponseStatus.SWITCHING_PROTOCOLS);
        removeHopByHop(headers, upgraded);
        if (!upgraded && mayHaveBody(response, request) && !HttpUtil.isContentLengthSet(response)
                && !HttpUtil.isTransferEncodingChunked(response)) {
            if (request.protocolVersion().equals(HttpVersion.HTTP_1_1)) {
                HttpUtil.setTransferEncodingChunked(response, true); // keep the connection: re-frame
            } else {
                keepAlive = false;
            }
        }
        if (route.pathPrefixed() && isHtml(response)) {
            DefaultCookie cookie = new DefaultCookie(Router.COOKIE, route.tunnel().id());
            cookie.setPath("/");
            cookie.setHttpOnly(true);
            cookie.setSameSite(io.netty.handler.codec.http.cookie.CookieHeaderNames.SameSite.Lax);
            headers.add(HttpHeaderNames.SET_COOKIE, ServerCookieEncoder.LAX.encode(cookie));
        }
        if (!upgraded && response.status().codeClass() != io.netty.handler.codec.http.HttpStatusClass.INFORMATIONAL) {
            HttpUtil.setKeepAlive(headers, request.protocolVersion(), keepAlive);
        }
        return keepAlive;
    }

    static boolean isUpgrade(HttpMessage message) {
        return message.headers().contains(HttpHeaderNames.UPGRADE)
                && message.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true);
    }

    private static boolean mayHaveBody(HttpResponse response, HttpRequest request) {
        int code = response.status().code();
        return code >= 200 && code != 204 && code != 304 && !"HEAD".equals(request.method().name());
    }

    private static boolean isHtml(HttpResponse response) {
        String type = response.headers().get(HttpHeaderNames.CONTENT_TYPE);
        return type != null && type.toLowerCase(Locale.ROOT).startsWith("text/html");
    }

    /** Removes hop-by-hop headers, those the Connection header names too; an upgrade keeps its two. */
    private static void removeHopByHop(HttpHeaders headers, boolean keepUpgrade) {
        List<String> named = new ArrayList<>();
        for (String connection : headers.getAll(HttpHeaderNames.CONNECTION)) {
            for (String token : connection.split(",")) {
                String name = token.trim().toLowerCase(Locale.ROOT);
                if (!name.isEmpty() && !name.equals("upgrade") && !name.equals("close")
                        && !name.equals("keep-alive") && !isFraming(name)) {
                    named.add(name);
                }
            }
        }
        for (String name : HOP_BY_HOP) {
            if (!(keepUpgrade && (name.equals("connection") || name.equals("upgrade")))) {
                headers.remove(name);
            }
        }
        if (keepUpgrade) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        }
        named.forEach(headers::remove);
    }

    /** Content-Length and Transfer-Encoding frame the body on each hop; the codecs own them. */
    private static boolean isFraming(String name) {
        return name.equals("content-length") || name.equals("transfer-encoding") || name.equals("host");
    }

    /** Takes the relay's routing cookie out, leaving every header (Cookie too) in its place and case. */
    private static void removeRoutingCookie(HttpHeaders headers) {
        List<String> cookies = headers.getAll(HttpHeaderNames.COOKIE);
        if (cookies.isEmpty() || cookies.stream().noneMatch(c -> c.contains(Router.COOKIE + "="))) {
            return;
        }
        HeaderEdits.editInPlace(headers, HttpHeaderNames.COOKIE.toString(), value -> {
            List<String> kept = new ArrayList<>();
            for (String pair : value.split(";")) {
                if (!pair.trim().startsWith(Router.COOKIE + "=")) {
                    kept.add(pair.trim());
                }
            }
            return kept.isEmpty() ? null : String.join("; ", kept);
        });
    }

    private HttpRewrites() {
    }
}
