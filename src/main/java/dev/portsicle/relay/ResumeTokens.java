package dev.portsicle.relay;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Lets an agent get its tunnel id back after a reconnect, with no database: the token is the id and an
 * HMAC of it under the relay's secret, so only the relay can mint one and any relay holding the same
 * secret accepts it.
 */
final class ResumeTokens {
    private static final String ALGORITHM = "HmacSHA256";
    private final SecretKeySpec key;

    ResumeTokens(byte[] secret) {
        this.key = new SecretKeySpec(secret, ALGORITHM);
    }

    static ResumeTokens random() {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        return new ResumeTokens(secret);
    }

    String issue(String tunnelId) {
        return tunnelId + "." + mac(tunnelId);
    }

    /** The tunnel id the token stands for, or null if it is forged or malformed. */
    String verify(String token) {
        int dot = token == null ? -1 : token.indexOf('.');
        if (dot <= 0) {
            return null;
        }
        String id = token.substring(0, dot);
        byte[] expected = mac(id).getBytes(StandardCharsets.US_ASCII);
        byte[] given = token.substring(dot + 1).getBytes(StandardCharsets.US_ASCII);
        return TunnelIds.plausible(id) && MessageDigest.isEqual(expected, given) ? id : null;
    }

    private String mac(String id) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            byte[] sum = mac.doFinal(id.getBytes(StandardCharsets.US_ASCII));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(sum);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
