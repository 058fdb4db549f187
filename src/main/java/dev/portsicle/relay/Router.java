package dev.portsicle.relay;

import dev.portsicle.protocol.Protocol;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;

import java.util.Locale;

/**
 * Decides which tunnel a visitor request is for, and what target its local server sees.
 *
 * <ol>
 *   <li>host mode: {@code Host: <id>.<domain>} (when the relay has a domain), target unchanged;</li>
 *   <li>path mode: {@code /<id>/rest}, target {@code /rest} ({@code /<id>} alone redirects to {@code /<id>/});</li>
 *   <li>absolute links of a path-mode page ({@code /assets/app.js}): the tunnel named by the
 *       {@code Referer} ({@code http://relay/<id>/...}), else by the {@link #COOKIE} the relay set on the
 *       page, target unchanged.</li>
 * </ol>
 * An id that matches no live tunnel is never guessed at: the result is null (404, or 503 while the
 * tunnel's agent is {@linkplain #away away}).
 */
final class Router {
    /** Set by the relay on path-mode pages so their absolute links find the tunnel. */
    static final String COOKIE = "portsicle_tunnel";

    /** Where a request goes: the tunnel, the target the local server sees, and how it was found. */
    record Route(Tunnel tunnel, String target, boolean pathPrefixed, String redirect) {
    }

    private final TunnelRegistry tunnels;
    private final String hostSuffix;

    /** Only http tunnels take HTTP requests; a tcp tunnel's id is no page. */
    private Tunnel http(String id) {
        Tunnel tunnel = tunnels.get(id);
        return tunnel != null && tunnel.isHttp() ? tunnel : null;
    }

    Router(TunnelRegistry tunnels, String domain) {
        this.tunnels = tunnels;
        this.hostSuffix = domain == null ? null : "." + domain.toLowerCase(Locale.ROOT);
    }

    Route route(HttpRequest request) {
        String uri = request.uri();
        if (hostSuffix != null) {
            String host = hostWithoutPort(request.headers().get(HttpHeaderNames.HOST));
            if (host != null && host.endsWith(hostSuffix)) {
                Tunnel tunnel = http(host.substring(0, host.length() - hostSuffix.length()));
                return tunnel == null ? null : new Route(tunnel, uri, false, null);
            }
        }
        if (uri.startsWith(Protocol.RESERVED_PREFIX)) {
            return null; // the relay's own paths: never a tunnel's, whatever cookie or Referer comes along
        }
        String first = firstSegment(uri);
        Tunnel tunnel = TunnelIds.plausible(first) ? http(first) : null;
        if (tunnel != null) {
            String rest = uri.substring(1 + first.length());
            if (!rest.startsWith("/")) {
                return new Route(tunnel, null, true, "/" + first + "/" + rest);
            }
            return new Route(tunnel, rest, true, null);
        }
        tunnel = fromReferer(request.headers());
        if (tunnel == null) {
            tunnel = fromCookie(request.headers());
        }
        return tunnel == null ? null : new Route(tunnel, uri, false, null);
    }

    /**
     * For a request {@link #route} found no tunnel for: the id it names (by host, or by first path
     * segment) when that tunnel's agent went away lately, so the visitor is told it is reconnecting;
     * otherwise null. Cookie and Referer are not looked at: they only help live tunnels' pages.
     */
    String away(HttpRequest request) {
        String id = null;
        String host = hostSuffix == null ? null : hostWithoutPort(request.headers().get(HttpHeaderNames.HOST));
        if (host != null && host.endsWith(hostSuffix)) {
            id = host.substring(0, host.length() - hostSuffix.length());
        } else if (!request.uri().startsWith(Protocol.RESERVED_PREFIX)) {
            id = firstSegment(request.uri());
        }
        return id != null && TunnelIds.plausible(id) && tunnels.isAway(id) ? id : null;
    }

    private Tunnel fromReferer(HttpHeaders headers) {
        String referer = headers.get(HttpHeaderNames.REFERER);
        if (referer == null) {
            return null;
        }
        int scheme = referer.indexOf("://");
        int path = scheme < 0 ? -1 : referer.indexOf('/', scheme + 3);
        if (path < 0) {
            return null;
        }
        String first = firstSegment(referer.substring(path));
        return TunnelIds.plausible(first) ? http(first) : null;
    }

    private Tunnel fromCookie(HttpHeaders headers) {
        for (String header : headers.getAll(HttpHeaderNames.COOKIE)) {
            for (Cookie cookie : ServerCookieDecoder.LAX.decodeAll(header)) {
                if (COOKIE.equals(cookie.name()) && TunnelIds.plausible(cookie.value())) {
                    Tunnel tunnel = http(cookie.value());
                    if (tunnel != null) {
                        return tunnel;
                    }
                }
            }
        }
        return null;
    }

    /** "abc" for "/abc/x?y", "/abc?y" and "/abc"; "" when there is none. */
    static String firstSegment(String target) {
        if (!target.startsWith("/")) {
            return "";
        }
        int end = 1;
        while (end < target.length() && "/?#".indexOf(target.charAt(end)) < 0) {
            end++;
        }
        return target.substring(1, end);
    }

    private static String hostWithoutPort(String host) {
        if (host == null) {
            return null;
        }
        int colon = host.lastIndexOf(':');
        if (colon > host.lastIndexOf(']')) {
            host = host.substring(0, colon);
        }
        return host.toLowerCase(Locale.ROOT);
    }
}
