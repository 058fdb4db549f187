// Mixed load for bench/soak.sh: small GETs, 100 KiB bodies, 1 MiB uploads and slow long-lived
// downloads through one base URL, each response checked byte for byte. Prints one summary line per
// kind; writes every failure, with its start and end time, to a file so the caller can tell the ones
// that overlap a restart of the local server from the others.
// Usage: java bench/SoakLoad.java BASE_URL WWW_DIR SECONDS FAILURES_FILE [small body upload stream]
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

public class SoakLoad {
    record Kind(String name, String path, int workers, Duration timeout, AtomicLong ok, AtomicLong failed) {}

    static PrintWriter failures;

    public static void main(String[] args) throws Exception {
        String base = args[0].endsWith("/") ? args[0] : args[0] + "/";
        Path www = Path.of(args[1]);
        long deadline = System.currentTimeMillis() + Long.parseLong(args[2]) * 1000;
        failures = new PrintWriter(Files.newBufferedWriter(Path.of(args[3])), true);
        int[] n = {4, 2, 1, 2};
        for (int i = 0; i < 4 && 4 + i < args.length; i++) n[i] = Integer.parseInt(args[4 + i]);

        byte[] small = Files.readAllBytes(www.resolve("1k.bin"));
        byte[] body = Files.readAllBytes(www.resolve("100k.bin"));
        byte[] stream = Files.readAllBytes(www.resolve("stream.bin"));
        byte[] upload = new byte[1 << 20];
        new Random(42).nextBytes(upload);
        String uploadSha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(upload));

        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        List<Kind> kinds = List.of(
                new Kind("small-get", "1k.bin", n[0], Duration.ofSeconds(30), new AtomicLong(), new AtomicLong()),
                new Kind("100k-get", "100k.bin", n[1], Duration.ofSeconds(30), new AtomicLong(), new AtomicLong()),
                new Kind("upload-1m", "upload", n[2], Duration.ofSeconds(60), new AtomicLong(), new AtomicLong()),
                new Kind("slow-stream", "slow/stream.bin", n[3], Duration.ofSeconds(600), new AtomicLong(), new AtomicLong()));
        List<Thread> threads = new ArrayList<>();
        for (Kind k : kinds) {
            for (int w = 0; w < k.workers; w++) {
                Thread t = new Thread(() -> {
                    while (System.currentTimeMillis() < deadline) {
                        long start = System.currentTimeMillis();
                        String problem;
                        int status = 0;
                        String relayError = "-";
                        try {
                            HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(base + k.path)).timeout(k.timeout);
                            if (k.name.equals("upload-1m")) rb.PUT(HttpRequest.BodyPublishers.ofByteArray(upload));
                            HttpResponse<byte[]> r = client.send(rb.build(), HttpResponse.BodyHandlers.ofByteArray());
                            status = r.statusCode();
                            relayError = r.headers().firstValue("X-Portsicle-Error").orElse("-");
                            byte[] expected = switch (k.name) {
                                case "small-get" -> small;
                                case "100k-get" -> body;
                                case "slow-stream" -> stream;
                                default -> null;
                            };
                            if (status != 200) problem = "status";
                            else if (expected != null && !Arrays.equals(expected, r.body())) problem = "body-mismatch(" + r.body().length + "B)";
                            else if (expected == null && !new String(r.body()).contains("\"bytes\":" + upload.length + ",\"sha256\":\"" + uploadSha + "\"")) problem = "upload-mismatch";
                            else problem = null;
                        } catch (Exception e) {
                            problem = e.getClass().getSimpleName() + ":" + String.valueOf(e.getMessage()).replace(' ', '_');
                        }
                        long end = System.currentTimeMillis();
                        if (problem == null) {
                            k.ok.incrementAndGet();
                        } else {
                            k.failed.incrementAndGet();
                            failures.println(start + " " + end + " " + k.name + " " + status + " " + relayError + " " + problem);
                            // After a failure (the local server may be down), don't spin: a short pause.
                            try { Thread.sleep(50); } catch (InterruptedException ie) { return; }
                        }
                    }
                }, k.name + "-" + w);
                t.start();
                threads.add(t);
            }
        }
        for (Thread t : threads) t.join();
        failures.close();
        for (Kind k : kinds) {
            System.out.println(k.name + " ok=" + k.ok.get() + " failed=" + k.failed.get());
        }
    }
}
