package dev.portsicle.relay;

import java.security.SecureRandom;

/**
 * Tunnel ids: 13 characters of lower-case base32 (65 random bits), so one id is both a path segment
 * and a DNS label, and guessing a live one is hopeless. Names chosen with {@code --subdomain} are DNS
 * labels that can never be taken for such an id.
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

    /** Why {@code name} cannot be a chosen tunnel name, or null when it can. */
    static String nameProblem(String name) {
        if (name == null || name.isEmpty() || name.length() > 63) {
            return "a tunnel name has 1 to 63 characters, not " + (name == null ? 0 : name.length());
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-')) {
                return "'" + name + "' is not a valid tunnel name: use lower-case letters, digits and '-'";
            }
        }
        if (name.startsWith("-") || name.endsWith("-")) {
            return "'" + name + "' is not a valid tunnel name: it cannot start or end with '-'";
        }
        if (plausible(name)) {
            return "'" + name + "' looks like a random tunnel id: choose another name";
        }
        return null;
    }

    private TunnelIds() {
    }
}
