package dev.portsicle.relay;

import java.security.SecureRandom;

/**
 * Tunnel ids: 13 characters of lower-case base32 (65 random bits), so one id is both a path segment
 * and a DNS label, and guessing a live one is hopeless.
 */
final class TunnelIds {
    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
    static final int LENGTH = 13;
    private static final SecureRandom RANDOM = new SecureRandom();

    static String next() {
        char[] id = new char[LENGTH];
        for (int i = 0; i < LENGTH; i++) {
            id[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return new String(id);
    }

    /** Cheap pre-check before a map lookup: could {@code s} be an id at all? */
    static boolean plausible(CharSequence s) {
        if (s.length() != LENGTH) {
            return false;
        }
        for (int i = 0; i < LENGTH; i++) {
            char c = s.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= '2' && c <= '7')) {
                return false;
            }
        }
        return true;
    }

    private TunnelIds() {
    }
}
