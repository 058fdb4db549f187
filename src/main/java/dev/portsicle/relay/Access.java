package dev.portsicle.relay;

import dev.portsicle.net.Cidr;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;

/**
 * Who may reach a tunnel, as its agent asked ({@code --basic-auth}, {@code --allow-cidr},
 * {@code --deny-cidr}). Checked by the relay before a request reaches the agent, so a refused visitor
 * costs the developer's laptop nothing.
 *
 * @param credentials SHA-256 of {@code user:password}, or null when no password is asked for
 * @param allow       when not empty, only visitors in these blocks are let in
 * @param deny        visitors in these blocks are kept out (deny wins over allow)
 */
record Access(byte[] credentials, List<Cidr> allow, List<Cidr> deny) {
    static final Access OPEN = new Access(null, List.of(), List.of());

    /** From the agent's bind request; bad input is an {@link IllegalArgumentException} to refuse it with. */
    static Access of(String basicAuth, List<String> allow, List<String> deny) {
        byte[] credentials = null;
        if (basicAuth != null) {
            int colon = basicAuth.indexOf(':');
            if (colon < 1 || colon == basicAuth.length() - 1) {
                throw new IllegalArgumentException("basic auth takes user:password, both non-empty");
            }
            credentials = sha256(basicAuth);
        }
        return new Access(credentials, Cidr.parseAll(allow), Cidr.parseAll(deny));
    }

    boolean asksPassword() {
        return credentials != null;
    }

    /** Is a visitor from {@code address} let in by the address rules? */
    boolean admits(InetAddress address) {
        return !Cidr.any(deny, address) && (allow.isEmpty() || Cidr.any(allow, address));
    }

    /**
     * Do the request's {@code Authorization} credentials match? When a password is asked for, the header
     * is then removed: it is the tunnel's password, not the local server's business.
     */
    boolean authorizes(HttpHeaders headers) {
        if (credentials == null) {
            return true;
        }
        boolean match = false;
        for (String value : headers.getAll(HttpHeaderNames.AUTHORIZATION)) {
            if (value.regionMatches(true, 0, "Basic ", 0, 6)) {
                try {
                    byte[] decoded = Base64.getDecoder().decode(value.substring(6).trim());
                    match |= MessageDigest.isEqual(credentials, sha256(new String(decoded, StandardCharsets.UTF_8)));
                } catch (IllegalArgumentException e) {
                    // not base64: no match
                }
            }
        }
        if (match) {
            headers.remove(HttpHeaderNames.AUTHORIZATION);
        }
        return match;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
