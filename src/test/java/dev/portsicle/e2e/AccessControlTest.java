package dev.portsicle.e2e;

import dev.portsicle.agent.Agent;
import dev.portsicle.agent.AgentConfig;
import dev.portsicle.net.Cidr;
import dev.portsicle.relay.AgentTokens;
import dev.portsicle.relay.Relay;
import dev.portsicle.relay.RelayConfig;
import dev.portsicle.testing.Origin;
import dev.portsicle.testing.RawHttpClient;
import dev.portsicle.testing.RawHttpClient.RawResponse;
import dev.portsicle.testing.TunnelFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Who may use a relay (agent tokens, names) and who may reach a tunnel (basic auth, address blocks,
 * trusted proxies): each control refuses what it must, admits what it should, and a refused visitor
 * never reaches the local server.
 */
class AccessControlTest {
    private static final String ALICE = "alice-token-0123456789";
    private static final String BOB = "bob-token-9876543210ab";
    private static final String TOKENS = ALICE + "  user=alice names=alice,alice-api tunnels=2\n"
                                         + "# a comment line\n"
                                         + BOB + "  user=bob names=*\n";

    private Origin origin;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void startOrigin() throws Exception {
        origin = Origin.start();
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close(); // agents before their relays
        }
        origin.close();
    }

    private Relay relay(UnaryOperator<RelayConfig> config) throws Exception {
        Relay relay = Relay.start(config.apply(RelayConfig.defaults().withBind("127.0.0.1", 0)));
        toClose.add(relay);
        return relay;
    }

    private Agent agent(Relay relay, UnaryOperator<AgentConfig> config) throws Exception {
        Agent agent = TunnelFixture.startAgent(relay, origin.port(), config);
        toClose.add(agent);
        return agent;
    }

    private TunnelFixture tunnel(UnaryOperator<RelayConfig> relay, UnaryOperator<AgentConfig> agent) throws Exception {
        TunnelFixture tunnel = TunnelFixture.start(origin.port(), relay, agent);
        toClose.add(tunnel);
        return tunnel;
    }

    private static String refusal(Agent agent) {
        assertThatThrownBy(() -> agent.publicUrl().get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
        return agent.publicUrl().handle((url, e) -> e.getMessage()).join();
    }

    private static RawResponse get(TunnelFixture tunnel, String localAddress, String... headers) throws Exception {
        URI uri = URI.create(tunnel.url);
        try (RawHttpClient client = new RawHttpClient(uri.getHost(), uri.getPort(), localAddress)) {
            client.send("GET " + uri.getPath() + "page HTTP/1.1\r\nHost: " + uri.getAuthority() + "\r\n"
                        + String.join("", headers) + "\r\n");
            return client.read();
        }
    }

    private static String basic(String userPassword) {
        return "Authorization: Basic " + Base64.getEncoder().encodeToString(userPassword.getBytes(StandardCharsets.UTF_8))
               + "\r\n";
    }

    // --- agent tokens ---

    @Test
    void aRelayWithTokensRefusesAgentsWithoutOneOrWithAWrongOneAndSaysWhy() throws Exception {
        Relay relay = relay(c -> c.withTokens(AgentTokens.parse(TOKENS, "tokens")));

        Agent none = agent(relay, UnaryOperator.identity());
        assertThat(refusal(none)).contains("401").contains("needs an agent token").contains("--token");
        assertThat(none.stopped()).isCompleted(); // a definite refusal: no retry loop

        Agent wrong = agent(relay, c -> c.withToken("not-a-token-of-this-relay"));
        assertThat(refusal(wrong)).contains("401").contains("does not accept this agent token")
                .doesNotContain("not-a-token-of-this-relay");

        Agent right = agent(relay, c -> c.withToken(BOB));
        String url = right.publicUrl().get(10, TimeUnit.SECONDS);
        try (RawHttpClient client = RawHttpClient.to(url)) {
            client.send("GET " + URI.create(url).getPath() + "x HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThat(client.read().bodyText()).isEqualTo("GET /x");
        }
    }

    @Test
    void theTokenFileFailsClosedOnAnythingItDoesNotUnderstand() {
        assertThatThrownBy(() -> AgentTokens.parse(ALICE + " admin=yes\n", "tokens.txt"))
                .hasMessage("tokens.txt line 1: unknown setting 'admin=yes' (known: user=, names=, tunnels=)");
        assertThatThrownBy(() -> AgentTokens.parse("# only\n\nshort\n", "tokens.txt"))
                .hasMessageStartingWith("tokens.txt line 3: a token must be at least 16 characters");
        assertThatThrownBy(() -> AgentTokens.parse(ALICE + "\n" + ALICE + "\n", "tokens.txt"))
                .hasMessage("tokens.txt line 2: this token is listed twice");
        assertThatThrownBy(() -> AgentTokens.parse(ALICE + " names=Not_A_Label\n", "tokens.txt"))
                .hasMessageContaining("line 1").hasMessageContaining("not a valid tunnel name");
        assertThatThrownBy(() -> AgentTokens.parse(ALICE + " tunnels=0\n", "tokens.txt"))
                .hasMessageContaining("tunnels= takes a number of at least 1");
        assertThatThrownBy(() -> AgentTokens.parse("# nothing\n", "tokens.txt"))
                .hasMessageContaining("lists no tokens");
        assertThatThrownBy(() -> AgentTokens.load(java.nio.file.Path.of("/nonexistent/tokens")))
                .hasMessageStartingWith("cannot read the token file /nonexistent/tokens");
        assertThat(AgentTokens.parse(TOKENS, "tokens").toString()).isEqualTo("2 token(s)").doesNotContain(ALICE);
    }

    // --- names ---

    @Test
    void aNameIsStableAndNeverShared() throws Exception {
        Relay relay = relay(c -> c.withDomain("tunnel.test").withTokens(AgentTokens.parse(TOKENS, "tokens")));

        Agent first = agent(relay, c -> c.withToken(ALICE).withName("alice-api"));
        assertThat(first.publicUrl().get(10, TimeUnit.SECONDS))
                .isEqualTo("http://alice-api.tunnel.test:" + relay.port() + "/");
        try (RawHttpClient client = new RawHttpClient("127.0.0.1", relay.port())) {
            client.send("GET /hi HTTP/1.1\r\nHost: alice-api.tunnel.test:" + relay.port() + "\r\n\r\n");
            assertThat(client.read().bodyText()).isEqualTo("GET /hi");
        }

        Agent second = agent(relay, c -> c.withToken(ALICE).withName("alice-api"));
        assertThat(refusal(second)).isEqualTo("tunnel alice-api is held by another agent");
        assertThat(second.stopped()).isCompleted();

        // bob's names=* covers any name except those listed for another token
        assertThat(refusal(agent(relay, c -> c.withToken(BOB).withName("alice"))))
                .isEqualTo("this token may not use the name 'alice'");
        assertThat(agent(relay, c -> c.withToken(BOB).withName("bobs-app")).publicUrl().get(10, TimeUnit.SECONDS))
                .startsWith("http://bobs-app.tunnel.test:");
        assertThat(refusal(agent(relay, c -> c.withToken(ALICE).withName("bobs-other"))))
                .isEqualTo("this token may not use the name 'bobs-other'");
        assertThat(refusal(agent(relay, c -> c.withToken(BOB).withName("-bad-"))))
                .contains("cannot start or end with '-'");
        assertThat(refusal(agent(relay, c -> c.withToken(BOB).withName("abcdefghijklm"))))
                .contains("looks like a random tunnel id");
    }

    @Test
    void namesNeedHostMode() throws Exception {
        Relay relay = relay(UnaryOperator.identity());
        assertThat(refusal(agent(relay, c -> c.withName("myapp"))))
                .isEqualTo("names need a relay with wildcard DNS (portsicle server --domain D); this one has none");
    }

    // --- protecting a public URL ---

    @Test
    void basicAuthIsCheckedByTheRelayAndTheLocalServerNeverSeesTheCredentials() throws Exception {
        TunnelFixture tunnel = tunnel(UnaryOperator.identity(),
                c -> c.withAccess(new AgentConfig.Access("ann:s3cret pass", List.of(), List.of())));

        RawResponse missing = get(tunnel, null);
        assertThat(missing.status()).isEqualTo(401);
        assertThat(missing.header("WWW-Authenticate")).isEqualTo("Basic realm=\"portsicle\", charset=\"UTF-8\"");
        assertThat(missing.header("X-Portsicle-Error")).isEqualTo("401");
        assertThat(get(tunnel, null, basic("ann:wrong")).status()).isEqualTo(401);
        assertThat(get(tunnel, null, basic("ann:s3cret pass2")).status()).isEqualTo(401);
        assertThat(get(tunnel, null, "Authorization: Basic !!notbase64\r\n").status()).isEqualTo(401);
        assertThat(origin.requests()).isEmpty();

        RawResponse ok = get(tunnel, null, basic("ann:s3cret pass"), "X-Keep: yes\r\n");
        assertThat(ok.status()).isEqualTo(200);
        Origin.Request seen = origin.awaitRequests(1, java.time.Duration.ofSeconds(5)).get(0);
        assertThat(seen.header("Authorization")).isNull();
        assertThat(seen.header("X-Keep")).isEqualTo("yes");
    }

    @Test
    void addressBlocksAllowAndDenyVisitorsByTheirAddress() throws Exception {
        // Linux routes all of 127/8 to loopback, so 127.0.0.2 is a second visitor address.
        TunnelFixture allowOne = tunnel(UnaryOperator.identity(),
                c -> c.withAccess(new AgentConfig.Access(null, List.of("127.0.0.1/32"), List.of())));
        assertThat(get(allowOne, "127.0.0.1").status()).isEqualTo(200);
        RawResponse outside = get(allowOne, "127.0.0.2");
        assertThat(outside.status()).isEqualTo(403);
        assertThat(outside.bodyText()).contains("does not take visitors from your address");

        TunnelFixture denyWins = tunnel(UnaryOperator.identity(),
                c -> c.withAccess(new AgentConfig.Access(null, List.of("127.0.0.0/8"), List.of("127.0.0.2"))));
        assertThat(get(denyWins, "127.0.0.1").status()).isEqualTo(200);
        assertThat(get(denyWins, "127.0.0.2").status()).isEqualTo(403);

        TunnelFixture both = tunnel(UnaryOperator.identity(), c -> c.withAccess(
                new AgentConfig.Access("ann:pw", List.of("127.0.0.2/32"), List.of())));
        assertThat(get(both, "127.0.0.1", basic("ann:pw")).status()).isEqualTo(403);
        assertThat(get(both, "127.0.0.2").status()).isEqualTo(401);
        assertThat(get(both, "127.0.0.2", basic("ann:pw")).status()).isEqualTo(200);
        assertThat(origin.requests()).hasSize(3); // only the admitted ones
    }

    @Test
    void badAccessRulesAreRefusedWithAClearMessage() throws Exception {
        Relay relay = relay(UnaryOperator.identity());
        assertThat(refusal(agent(relay, c -> c.withAccess(new AgentConfig.Access(null, List.of("10.0.0.0/33"), List.of())))))
                .isEqualTo("'10.0.0.0/33': the prefix length must be 0-32");
        assertThat(refusal(agent(relay, c -> c.withAccess(new AgentConfig.Access(null, List.of(), List.of("example.com"))))))
                .isEqualTo("'example.com' is not an address block such as 10.0.0.0/8 or 2001:db8::/32");
        assertThat(refusal(agent(relay, c -> c.withAccess(new AgentConfig.Access("nopassword", List.of(), List.of())))))
                .isEqualTo("basic auth takes user:password, both non-empty");
    }

    @Test
    void aForgedForwardedForIsNotBelievedUnlessATrustedProxySentIt() throws Exception {
        UnaryOperator<AgentConfig> onlyTenNet =
                c -> c.withAccess(new AgentConfig.Access(null, List.of("10.0.0.0/8"), List.of()));

        TunnelFixture direct = tunnel(UnaryOperator.identity(), onlyTenNet);
        assertThat(get(direct, null, "X-Forwarded-For: 10.1.2.3\r\n").status()).isEqualTo(403);

        TunnelFixture open = tunnel(UnaryOperator.identity(), UnaryOperator.identity());
        assertThat(get(open, null, "X-Forwarded-For: 10.1.2.3\r\n").status()).isEqualTo(200);
        assertThat(origin.awaitRequests(1, java.time.Duration.ofSeconds(5)).get(0).header("X-Forwarded-For"))
                .isEqualTo("127.0.0.1");

        TunnelFixture behindProxy = tunnel(c -> c.withTrustedProxies(List.of(Cidr.parse("127.0.0.1"))), onlyTenNet);
        RawResponse viaProxy = get(behindProxy, "127.0.0.1", "X-Forwarded-For: 203.0.113.9, 10.1.2.3\r\n",
                "X-Forwarded-Proto: https\r\n");
        assertThat(viaProxy.status()).isEqualTo(200);
        Origin.Request seen = origin.awaitRequests(2, java.time.Duration.ofSeconds(5)).get(1);
        assertThat(seen.header("X-Forwarded-For")).isEqualTo("203.0.113.9, 10.1.2.3, 127.0.0.1");
        assertThat(seen.header("X-Forwarded-Proto")).isEqualTo("https");
        // a visitor that is not the trusted proxy is judged by its own address, whatever it claims
        assertThat(get(behindProxy, "127.0.0.2", "X-Forwarded-For: 10.1.2.3\r\n").status()).isEqualTo(403);
    }
}
