package dev.portsicle.it;

import dev.portsicle.testing.Conditions;
import dev.portsicle.testing.Origin;
import dev.portsicle.testing.PortsicleProcess;
import dev.portsicle.testing.RawHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Agent tokens with the real commands: from a file or the environment on the relay, from a flag or the
 * environment on the agent; a refused agent says why and exits with status 1 instead of retrying, and a
 * token file the relay does not understand stops it at startup.
 */
class AgentTokenIT {
    private static final String TOKEN = "it-token-0123456789abcdef";
    private static final Duration START = Duration.ofSeconds(60);
    /** A refusal is final: the agent exits about as soon as its JVM is up, with no backoff in between. */
    private static final Duration GIVES_UP_WITHIN = Duration.ofSeconds(30);

    private final Path logs = Path.of("target", "it-logs");
    private final List<PortsicleProcess> processes = new ArrayList<>();
    private Origin origin;

    @BeforeEach
    void start() throws Exception {
        Files.createDirectories(logs);
        origin = Origin.start();
    }

    @AfterEach
    void stop() throws Exception {
        for (PortsicleProcess process : processes) {
            process.close();
        }
        origin.close();
    }

    private PortsicleProcess run(String log, Map<String, String> env, String... args) throws Exception {
        PortsicleProcess process = PortsicleProcess.start(logs.resolve("AgentTokenIT-" + log + ".log"), env, args);
        processes.add(process);
        return process;
    }

    private int relay(String log, Map<String, String> env, String... tokenArgs) throws Exception {
        int port = PortsicleProcess.freePort();
        List<String> args = new ArrayList<>(List.of("server", "--bind", "127.0.0.1", "--port", Integer.toString(port),
                "--secret-file", logs.resolve("AgentTokenIT.secret").toString()));
        args.addAll(List.of(tokenArgs));
        run(log, env, args.toArray(String[]::new));
        PortsicleProcess.awaitListening(port, START);
        return port;
    }

    private PortsicleProcess agent(String log, int relayPort, Map<String, String> env, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("http", "-p", Integer.toString(origin.port()),
                "--server", "http://127.0.0.1:" + relayPort));
        args.addAll(List.of(extra));
        return run(log, env, args.toArray(String[]::new));
    }

    private String log(String name) throws Exception {
        return Files.readString(logs.resolve("AgentTokenIT-" + name + ".log"));
    }

    @Test
    void tokensFromAFileAndFromTheEnvironmentAdmitAgentsThatPresentThem() throws Exception {
        Path file = logs.resolve("AgentTokenIT-tokens.txt");
        Files.writeString(file, "# the relay's agent tokens\n" + TOKEN + " user=it-user\n");
        int fromFile = relay("relay-file", Map.of(), "--tokens", file.toString());
        String url = agent("agent-env", fromFile, Map.of("PORTSICLE_TOKEN", TOKEN)).awaitPublicUrl(START);
        assertThat(get(url).bodyText()).isEqualTo("GET /hello");
        Conditions.awaitLog(logs.resolve("AgentTokenIT-relay-file.log"), "as it-user");
        assertThat(log("relay-file")).doesNotContain(TOKEN);

        int fromEnv = relay("relay-env", Map.of("PORTSICLE_TOKENS", "another-token-000000000; " + TOKEN));
        String url2 = agent("agent-flag", fromEnv, Map.of(), "--token", TOKEN).awaitPublicUrl(START);
        assertThat(get(url2).bodyText()).isEqualTo("GET /hello");
    }

    @Test
    void aRefusedAgentSaysWhyAndExitsInsteadOfRetrying() throws Exception {
        Path file = logs.resolve("AgentTokenIT-tokens.txt");
        Files.writeString(file, TOKEN + "\n");
        int port = relay("relay-refusing", Map.of(), "--tokens", file.toString());

        PortsicleProcess none = agent("agent-none", port, Map.of());
        PortsicleProcess wrong = agent("agent-wrong", port, Map.of("PORTSICLE_TOKEN", "wrong-token-0000000000"));
        assertThat(none.awaitExit(GIVES_UP_WITHIN)).isEqualTo(1);
        assertThat(wrong.awaitExit(GIVES_UP_WITHIN)).isEqualTo(1);
        assertThat(log("agent-none")).contains("401 Unauthorized: This relay needs an agent token")
                .doesNotContain("reconnecting");
        assertThat(log("agent-wrong")).contains("401 Unauthorized: The relay does not accept this agent token")
                .doesNotContain("wrong-token-0000000000").doesNotContain("reconnecting");
    }

    @Test
    void aTokenFileTheRelayDoesNotUnderstandStopsItAtStartup() throws Exception {
        Path file = logs.resolve("AgentTokenIT-bad-tokens.txt");
        Files.writeString(file, TOKEN + " admin=yes\n");
        PortsicleProcess relay = run("relay-bad", Map.of(), "server", "--bind", "127.0.0.1", "--port", "0",
                "--tokens", file.toString(), "--secret-file", logs.resolve("AgentTokenIT.secret").toString());
        assertThat(relay.awaitExit(START)).isEqualTo(2);
        assertThat(log("relay-bad")).contains("line 1: unknown setting 'admin=yes'");
    }

    private RawHttpClient.RawResponse get(String url) throws Exception {
        URI uri = URI.create(url);
        try (RawHttpClient client = RawHttpClient.to(url)) {
            client.send("GET " + uri.getPath() + "hello HTTP/1.1\r\nHost: h\r\n\r\n");
            return client.read();
        }
    }
}
