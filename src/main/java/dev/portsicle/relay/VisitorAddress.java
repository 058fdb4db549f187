package dev.portsicle.relay;

import dev.portsicle.net.Cidr;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Who a visitor is: the address at the other end of its connection, unless that is a proxy the operator
 * trusts ({@code --trusted-proxy}), in which case the proxy's {@code X-Forwarded-For} says it. What a
 * visitor claims in that header is never believed otherwise, so it cannot dodge address rules.
 *
 * @param ip           the visitor's address, for address rules
 * @param text         the same as text, with the port when it is the connection's own ("1.2.3.4:5678")
 * @param forwardedFor the {@code X-Forwarded-For} value to send on
 * @param viaProxy     whether a trusted proxy stands between, whose other {@code X-Forwarded-*} then hold
 */
record VisitorAddress(InetAddress ip, String text, String forwardedFor, boolean viaProxy) {

    static VisitorAddress of(Channel channel, HttpHeaders headers, List<Cidr> trustedProxies) {
        InetSocketAddress peer = (InetSocketAddress) channel.remoteAddress();
        InetAddress peerIp = peer.getAddress();
        String peerText = peerIp.getHostAddress();
        if (!Cidr.any(trustedProxies, peerIp)) {
            return new VisitorAddress(peerIp, peerText + ":" + peer.getPort(), peerText, false);
        }
        List<String> chain = new ArrayList<>();
        for (String value : headers.getAll("X-Forwarded-For")) {
            for (String hop : value.split(",")) {
                if (!hop.isBlank()) {
                    chain.add(hop.trim());
                }
            }
        }
        // The nearest hop that is not one of our proxies is the visitor; anything further left is hearsay.
        InetAddress visitor = peerIp;
        for (int i = chain.size() - 1; i >= 0; i--) {
            InetAddress hop = literal(chain.get(i));
            if (hop == null) {
                break;
            }
            visitor = hop;
            if (!Cidr.any(trustedProxies, hop)) {
                break;
            }
        }
        chain.add(peerText);
        return new VisitorAddress(visitor, visitor.getHostAddress(), String.join(", ", chain), true);
    }

    private static InetAddress literal(String text) {
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(text);
        try {
            return bytes == null ? null : InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            return null; // cannot happen for 4 or 16 bytes
        }
    }
}
