package dev.portsicle.e2e;

import dev.portsicle.testing.TunnelFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The proof users care about: a Vite dev server behind the tunnel, opened in headless Chromium; a source
 * file is edited and the page updates by hot module replacement through the tunnel's WebSocket, with no
 * full reload. In path mode and in host mode. The npm packages go to src/test/browser/node_modules
 * (ignored by git), installed on first run; {@code .ci/run} installs Chromium and Node.js.
 */
@Timeout(300)
class TunnelBrowserTest {
    private static final Path BROWSER = Path.of("src", "test", "browser").toAbsolutePath();
    private static Process vite;
    private static int vitePort;
    private static Path app;

    @BeforeAll
    static void startVite() throws Exception {
        assumeTrue(chromiumStarts(), "Chromium cannot start on this machine (/usr/bin/chromium --headless "
                + "--version failed): the browser check of hot module replacement did not run");
        if (!Files.isDirectory(BROWSER.resolve("node_modules/vite"))
                || !Files.isDirectory(BROWSER.resolve("node_modules/playwright-core"))) {
            run(List.of("npm", "install", "--no-audit", "--no-fund"), BROWSER, 240);
        }
        app = Files.createTempDirectory("portsicle-vite-app");
        try (Stream<Path> files = Files.list(BROWSER.resolve("app"))) {
            for (Path file : files.toList()) {
                Files.copy(file, app.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        try (ServerSocket free = new ServerSocket(0)) {
            vitePort = free.getLocalPort();
        }
        vite = new ProcessBuilder("node", "node_modules/vite/bin/vite.js", app.toString(), "--port",
                Integer.toString(vitePort), "--strictPort", "--host", "127.0.0.1")
                .directory(BROWSER.toFile())
                .redirectErrorStream(true)
                .redirectOutput(Path.of("target", "vite.log").toFile())
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!answers("http://127.0.0.1:" + vitePort + "/")) {
            assertThat(vite.isAlive()).as("vite is running (see target/vite.log)").isTrue();
            assertThat(System.nanoTime()).as("vite answers within 60 s").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    @AfterAll
    static void stopVite() throws Exception {
        if (vite != null) {
            vite.destroy();
            vite.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void hotModuleReplacementWorksThroughAPathModeTunnel() throws Exception {
        try (TunnelFixture tunnel = TunnelFixture.start(vitePort)) {
            assertThat(tunnel.url).contains("/" + tunnel.tunnelId() + "/");
            checkHotReload(tunnel.url);
        }
    }

    @Test
    void hotModuleReplacementWorksThroughAHostModeTunnel() throws Exception {
        // Chromium resolves every *.localhost name to this machine, as wildcard DNS would for a real domain
        try (TunnelFixture tunnel = TunnelFixture.start(vitePort, relay -> relay.withDomain("localhost"),
                UnaryOperator.identity())) {
            assertThat(URI.create(tunnel.url).getHost()).endsWith(".localhost");
            checkHotReload(tunnel.url);
        }
    }

    private static void checkHotReload(String url) throws Exception {
        Path message = app.resolve("message.js");
        Files.writeString(message, "export const message = 'hello v1';\n");
        String result = run(List.of("node", "hmr-check.mjs", url, message.toString()), BROWSER, 120);
        System.out.println(result);
        assertThat(result).contains("\"ok\":true").contains("[vite] connected.").contains("hot updated");
    }

    private static boolean chromiumStarts() {
        File chromium = new File(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));
        if (!chromium.canExecute()) {
            return false;
        }
        try {
            Process probe = new ProcessBuilder(chromium.getPath(), "--headless", "--no-sandbox", "--version")
                    .redirectErrorStream(true).start();
            return probe.waitFor(30, TimeUnit.SECONDS) && probe.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static boolean answers(String url) {
        try {
            HttpURLConnection connection = (HttpURLConnection) URI.create(url).toURL().openConnection();
            connection.setConnectTimeout(500);
            connection.setReadTimeout(2000);
            return connection.getResponseCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    /** Runs a command to completion; its output, or a failed assertion with that output. */
    private static String run(List<String> command, Path dir, int seconds) throws Exception {
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        boolean done = process.waitFor(seconds, TimeUnit.SECONDS);
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!done) {
            process.destroyForcibly();
        }
        assertThat(done && process.exitValue() == 0).as(String.join(" ", command) + " succeeded:\n" + output).isTrue();
        return output;
    }
}
