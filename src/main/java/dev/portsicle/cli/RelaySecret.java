package dev.portsicle.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The relay's secret, which signs resume tokens: given with --secret or PORTSICLE_SECRET, else kept in a
 * state file made on first start (owner-only), so a restarted relay gives agents their URLs back.
 */
final class RelaySecret {
    static Path defaultFile() {
        return Path.of(System.getProperty("user.home"), ".portsicle", "relay.secret");
    }

    static String resolve(String given, Path file) throws IOException {
        if (given != null && !given.isBlank()) {
            if (given.length() < 16) {
                throw new IllegalArgumentException("the relay secret must be at least 16 characters");
            }
            return given;
        }
        if (Files.exists(file)) {
            String stored = Files.readString(file, StandardCharsets.UTF_8).trim();
            if (stored.length() < 16) {
                throw new IllegalArgumentException("the secret in " + file + " is too short: delete the file "
                        + "to make a new one (agents then get new URLs)");
            }
            return stored;
        }
        String secret = newToken();
        Files.createDirectories(file.toAbsolutePath().getParent());
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (FileAlreadyExistsException e) {
            return resolve(null, file); // another relay made it first: use theirs
        } catch (UnsupportedOperationException e) {
            Files.createFile(file); // not a POSIX file system
        }
        Files.writeString(file, secret + "\n", StandardCharsets.UTF_8);
        return secret;
    }

    /** 256 random bits as hex: a secret or token nobody can guess. */
    static String newToken() {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        return HexFormat.of().formatHex(random);
    }

    private RelaySecret() {
    }
}
