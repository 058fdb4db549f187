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
        String scheme = config.tls() == null ? "http" : "https";
        return new PublicUrls(scheme, host == null || host.isBlank() ? localAuthority : host, config.domain());
    }

    String forTunnel(String id) {
        if (domain == null) {
            return scheme + "://" + authority + "/" + id + "/";
        }
        return scheme + "://" + id + "." + domain + port() + "/";
    }

    /** A TCP tunnel's public address: this relay's host name with the tunnel's own port. */
    String forTcp(int port) {
        String port0 = port();
        String host = port0.isEmpty() ? authority : authority.substring(0, authority.length() - port0.length());
        return "tcp://" + host + ":" + port;
    }

    /** ":8080" when the authority names a port, else "" (IPv6 literals end in ']'). */
    private String port() {
        int colon = authority.lastIndexOf(':');
        return colon > authority.lastIndexOf(']') ? authority.substring(colon) : "";
    }
}
