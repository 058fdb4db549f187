package dev.portsicle.testing;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;

/**
 * A certificate authority made for one test run (EC P-256, valid for a day; servers' keys EC or RSA), writing PEM files the way an
 * operator gets them: a full chain (leaf first) and a PKCS#8 key. Nothing here outlives the test.
 */
public final class TestPki {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A server certificate as files: {@code chain} (leaf, then the CA) and its {@code key}. */
    public record Issued(Path chain, Path key) {
    }

    private final Path dir;
    private final String name;
    private final KeyPair caKeys;
    private final X509Certificate ca;
    private int serial = 1;

    private TestPki(Path dir, String name, KeyPair caKeys, X509Certificate ca) {
        this.dir = dir;
        this.name = name;
        this.caKeys = caKeys;
        this.ca = ca;
    }

    /** A new CA called {@code name}, its files in {@code dir}. */
    public static TestPki create(Path dir, String name) throws Exception {
        KeyPair keys = newKeys("EC");
        X500Name subject = new X500Name("CN=" + name);
        X509v3CertificateBuilder builder = builder(subject, BigInteger.ONE, subject, keys)
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        return new TestPki(dir, name, keys, sign(builder, keys.getPrivate()));
    }

    /** The CA certificate as a PEM file, what an agent's {@code --ca} takes. */
    public Path caPem() throws IOException, GeneralSecurityException {
        return write(name + "-ca.pem", pem("CERTIFICATE", ca.getEncoded()));
    }

    /** A server certificate for 127.0.0.1 and localhost, with an EC or an RSA key ({@code keyAlgorithm}). */
    public Issued issueForLoopback(String keyAlgorithm) throws Exception {
        return issue(keyAlgorithm, "127.0.0.1", new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                new GeneralName(GeneralName.dNSName, "localhost"));
    }

    /** A server certificate named {@code commonName}, valid for exactly the given names. */
    public Issued issue(String keyAlgorithm, String commonName, GeneralName... names) throws Exception {
        KeyPair keys = newKeys(keyAlgorithm);
        int n = ++serial;
        X509v3CertificateBuilder builder = builder(new X500Name("CN=" + name), BigInteger.valueOf(n),
                new X500Name("CN=" + commonName), keys)
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
        X509Certificate leaf = sign(builder, caKeys.getPrivate());
        Path chain = write(name + "-server-" + n + ".pem",
                pem("CERTIFICATE", leaf.getEncoded()) + pem("CERTIFICATE", ca.getEncoded()));
        Path key = write(name + "-server-" + n + ".key", pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
        return new Issued(chain, key);
    }

    /** A TLS client that trusts this CA, for visitors' connections. */
    public SSLSocket connect(int port, String... protocols) throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        store.setCertificateEntry("ca", ca);
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), RANDOM);
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(RawHttpClient.DEFAULT_TIMEOUT_MILLIS);
        if (protocols.length > 0) {
            socket.setEnabledProtocols(protocols);
        }
        return socket;
    }

    private static KeyPair newKeys(String algorithm) throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
        if (algorithm.equals("EC")) {
            generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        } else {
            generator.initialize(2048, RANDOM);
        }
        return generator.generateKeyPair();
    }

    private static JcaX509v3CertificateBuilder builder(X500Name issuer, BigInteger serial, X500Name subject,
                                                       KeyPair keys) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, serial, Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(Duration.ofDays(1))), subject, keys.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key) throws Exception {
        return new JcaX509CertificateConverter()
                .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
               + "\n-----END " + type + "-----\n";
    }

    private Path write(String file, String content) throws IOException {
        return Files.writeString(dir.resolve(file), content, StandardCharsets.US_ASCII);
    }
}
