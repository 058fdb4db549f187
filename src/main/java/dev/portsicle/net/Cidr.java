package dev.portsicle.net;

import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;

/**
 * An address block such as {@code 10.0.0.0/8}, {@code 2001:db8::/32} or a single address (a /32 or
 * /128). IPv4 visitors that reach an IPv6 socket as {@code ::ffff:a.b.c.d} match IPv4 blocks.
 */
public record Cidr(byte[] network, int prefix, String text) {

    /** Parses {@code ADDRESS[/PREFIX]}; addresses must be literal (no DNS look-ups). */
    public static Cidr parse(String text) {
        String trimmed = text.trim();
        int slash = trimmed.indexOf('/');
        String address = slash < 0 ? trimmed : trimmed.substring(0, slash);
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(address); // literals only: no DNS
        if (bytes == null) {
            throw new IllegalArgumentException("'" + text + "' is not an address block such as 10.0.0.0/8 or 2001:db8::/32");
        }
        int bits = bytes.length * 8;
        int prefix;
        try {
            prefix = slash < 0 ? bits : Integer.parseInt(trimmed.substring(slash + 1));
        } catch (NumberFormatException e) {
            prefix = -1;
        }
        if (prefix < 0 || prefix > bits) {
            throw new IllegalArgumentException("'" + text + "': the prefix length must be 0-" + bits);
        }
        return new Cidr(mask(bytes, prefix), prefix, trimmed);
    }

    public static List<Cidr> parseAll(List<String> texts) {
        return texts == null ? List.of() : texts.stream().map(Cidr::parse).toList();
    }

    public boolean contains(InetAddress address) {
        byte[] bytes = address.getAddress();
        if (bytes.length == 16 && network.length == 4 && isV4Mapped(bytes)) {
            bytes = Arrays.copyOfRange(bytes, 12, 16);
        }
        return bytes.length == network.length && Arrays.equals(mask(bytes, prefix), network);
    }

    public static boolean any(List<Cidr> blocks, InetAddress address) {
        for (Cidr block : blocks) {
            if (block.contains(address)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isV4Mapped(byte[] v6) {
        for (int i = 0; i < 10; i++) {
            if (v6[i] != 0) {
                return false;
            }
        }
        return v6[10] == (byte) 0xff && v6[11] == (byte) 0xff;
    }

    private static byte[] mask(byte[] address, int prefix) {
        byte[] masked = address.clone();
        for (int i = 0; i < masked.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - i * 8));
            masked[i] &= (byte) (0xff << (8 - keep));
        }
        return masked;
    }

    @Override
    public String toString() {
        return text;
    }
}
