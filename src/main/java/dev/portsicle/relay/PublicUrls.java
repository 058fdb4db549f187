package dev.portsicle.relay;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;

import java.net.URI;

/**
 * The public URL of a tunnel: from {@code --public-url} when the operator gave one, else from the
 * address the agent dialled (its Host header), which is how the outside world reached this relay.
 */
record PublicUrls(String scheme, String authority, String domain) {

    static PublicUrls of(RelayConfig config, HttpRequest agentUpgrade, String localAuthority) {
        if (config.publicUrl() != null) {
            URI uri = URI.create(config.publicUrl());
            return new PublicUrls(uri.getScheme(), uri.getRawAuthority(), config.domain());
        }
        String host = agentUpgrade.headers().get(HttpHeaderNames.HOST);
        return new PublicUrls("http", host == null || host.isBlank() ? localAuthority : host, config.domain());
    }

    String forTunnel(String id) {
        if (domain == null) {
            return scheme + "://" + authority + "/" + id + "/";
        }
        return scheme + "://" + id + "." + domain + port() + "/";
    }

    /** ":8080" when the authority names a port, else "" (IPv6 literals end in ']'). */
    private String port() {
        int colon = authority.lastIndexOf(':');
        return colon > authority.lastIndexOf(']') ? authority.substring(colon) : "";
    }
}
