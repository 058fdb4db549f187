package dev.portsicle.relay;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The agent tokens a relay accepts ({@code --tokens FILE} or {@code PORTSICLE_TOKENS}): one token per
 * line, then optional settings, {@code #} starts a comment.
 *
 * <pre>
 * 6f1c0d2a9be34c7d81f0e4a5b6c7d8e9  user=alice  names=alice,alice-api  tunnels=4
 * 0a1b2c3d4e5f60718293a4b5c6d7e8f9  user=ci     names=*
 * </pre>
 * {@code user} names the token in logs (tokens themselves never appear there), {@code names} lists the
 * names it may bind with {@code --subdomain} ({@code *}: any name not listed for another token),
 * {@code tunnels} caps the tunnels one agent holds with it. Anything else is an error: a relay never
 * starts with access rules it did not understand.
 */
public final class AgentTokens {
    /** Short tokens can be guessed; this is what {@code openssl rand -hex 8} gives. */
    static final int MIN_LENGTH = 16;

    /** One accepted token and what it may do. {@code maxTunnels} is null for the relay's default. */
    record Token(String user, Set<String> names, boolean anyName, Integer maxTunnels) {
    }

    private final List<byte[]> digests;
    private final List<Token> tokens;
    private final Set<String> listedNames;

    private AgentTokens(List<byte[]> digests, List<Token> tokens) {
        this.digests = digests;
        this.tokens = tokens;
        this.listedNames = new HashSet<>();
        tokens.forEach(t -> listedNames.addAll(t.names()));
    }

    public static AgentTokens load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the token file " + file + ": " + e.getMessage());
        }
        return parse(text, file.toString());
    }

    /** Parses the file format; {@code source} names it in error messages. */
    public static AgentTokens parse(String text, String source) {
        List<byte[]> digests = new ArrayList<>();
        List<Token> tokens = new ArrayList<>();
        String[] lines = text.split("\r?\n");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].replaceFirst("#.*", "").trim();
            if (line.isEmpty()) {
                continue;
            }
            String where = source + " line " + (i + 1);
            String[] fields = line.split("\\s+");
            String secret = fields[0];
            if (secret.length() < MIN_LENGTH || secret.contains("=")) {
                throw new IllegalArgumentException(where + ": a token must be at least " + MIN_LENGTH
                        + " characters without '=' (make one with: openssl rand -hex 16)");
            }
            byte[] digest = sha256(secret);
            if (digests.stream().anyMatch(d -> MessageDigest.isEqual(d, digest))) {
                throw new IllegalArgumentException(where + ": this token is listed twice");
            }
            digests.add(digest);
            tokens.add(token(fields, where, "line " + (i + 1)));
        }
        if (tokens.isEmpty()) {
            throw new IllegalArgumentException(source + " lists no tokens: no agent could connect");
        }
        return new AgentTokens(digests, tokens);
    }

    private static Token token(String[] fields, String where, String defaultUser) {
        String user = defaultUser;
        Set<String> names = new LinkedHashSet<>();
        boolean anyName = false;
        Integer maxTunnels = null;
        for (int f = 1; f < fields.length; f++) {
            int eq = fields[f].indexOf('=');
            String key = eq < 0 ? fields[f] : fields[f].substring(0, eq);
            String value = eq < 0 ? "" : fields[f].substring(eq + 1);
            switch (key) {
                case "user" -> user = value;
                case "names" -> {
                    for (String name : value.split(",")) {
                        if (name.equals("*")) {
                            anyName = true;
                            continue;
                        }
                        String problem = TunnelIds.nameProblem(name);
                        if (problem != null) {
                            throw new IllegalArgumentException(where + ": " + problem);
                        }
                        names.add(name);
                    }
                }
                case "tunnels" -> {
                    try {
                        maxTunnels = Integer.parseInt(value);
                    } catch (NumberFormatException e) {
                        maxTunnels = -1;
                    }
                    if (maxTunnels < 1) {
                        throw new IllegalArgumentException(where + ": tunnels= takes a number of at least 1, not '"
                                + value + "'");
                    }
                }
                default -> throw new IllegalArgumentException(where + ": unknown setting '" + fields[f]
                        + "' (known: user=, names=, tunnels=)");
            }
        }
        return new Token(user, Set.copyOf(names), anyName, maxTunnels);
    }

    /** The token matching {@code presented}, or null. Every entry is compared, in constant time each. */
    Token find(String presented) {
        byte[] digest = sha256(presented);
        Token found = null;
        for (int i = 0; i < digests.size(); i++) {
            if (MessageDigest.isEqual(digests.get(i), digest)) {
                found = tokens.get(i);
            }
        }
        return found;
    }

    /** May an agent with {@code token} bind {@code name}? Names listed for a token are that token's. */
    boolean mayUse(Token token, String name) {
        return token.names().contains(name) || token.anyName() && !listedNames.contains(name);
    }

    int size() {
        return tokens.size();
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    @Override
    public String toString() { // never the tokens themselves
        return tokens.size() + " token(s)";
    }
}
