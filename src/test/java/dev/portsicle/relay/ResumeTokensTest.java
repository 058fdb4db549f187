package dev.portsicle.relay;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class ResumeTokensTest {
    private final ResumeTokens tokens = new ResumeTokens("secret one, long enough".getBytes(StandardCharsets.UTF_8));

    @Test
    void aTokenGivesItsIdBack() {
        String id = TunnelIds.next();
        assertThat(tokens.verify(tokens.issue(id))).isEqualTo(id);
    }

    @Test
    void forgedTamperedAndForeignTokensAreRefused() {
        String id = TunnelIds.next();
        String token = tokens.issue(id);
        String otherId = TunnelIds.next();
        assertThat(tokens.verify(otherId + token.substring(id.length()))).as("mac of another id").isNull();
        char last = token.charAt(token.length() - 1);
        String tampered = token.substring(0, token.length() - 1) + (last == 'A' ? 'B' : 'A'); // really changed
        assertThat(tokens.verify(tampered)).as("changed mac").isNull();
        assertThat(tokens.verify(id + ".")).isNull();
        assertThat(tokens.verify("garbage")).isNull();
        assertThat(tokens.verify(null)).isNull();
        ResumeTokens otherRelay = new ResumeTokens("another secret entirely".getBytes(StandardCharsets.UTF_8));
        assertThat(otherRelay.verify(token)).as("a relay with another secret").isNull();
    }

    @Test
    void idsAreThirteenLowerCaseBase32CharactersAndDiffer() {
        String a = TunnelIds.next();
        assertThat(a).matches("[a-z2-7]{13}");
        assertThat(TunnelIds.next()).isNotEqualTo(a);
        assertThat(TunnelIds.plausible(a)).isTrue();
        assertThat(TunnelIds.plausible("UPPERCASE1234")).isFalse();
        assertThat(TunnelIds.plausible("short")).isFalse();
    }
}
