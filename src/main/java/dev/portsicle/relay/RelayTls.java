package dev.portsicle.relay;

import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTTPS for visitors and wss:// for agents on the relay's one port: TLS 1.2 and 1.3 only, forward-secret
 * AEAD ciphers only (ECDHE with AES-GCM or ChaCha20-Poly1305 for 1.2), ALPN offering http/1.1.
 *
 * @param context      the server side of TLS, shared by every connection
 * @param redirectPort a port that answers plain HTTP with a redirect to https://, or null for none
 */
public record RelayTls(SslContext context, Integer redirectPort) {
    private static final Logger log = LoggerFactory.getLogger(RelayTls.class);

    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
    private static final Pattern PKCS8_KEY =
            Pattern.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");
    /** How to prove the key and the certificate belong together, by the certificate's key algorithm. */
    private static final Map<String, String> PROOF = Map.of(
            "RSA", "SHA256withRSA", "EC", "SHA256withECDSA", "EdDSA", "EdDSA");

    /**
     * Reads the certificate chain (leaf first, as in Let's Encrypt's fullchain.pem) and its private key
     * (PKCS#8 PEM); anything wrong with them is an {@link IllegalArgumentException} saying what.
     */
    public static RelayTls load(Path certChain, Path key) {
        X509Certificate[] chain = readChain(certChain);
        PrivateKey privateKey = readKey(key, chain[0]);
        checkPair(privateKey, chain[0], certChain, key);
        Date notAfter = chain[0].getNotAfter();
        if (notAfter.before(new Date())) {
            log.warn("the TLS certificate in {} expired on {}: browsers and agents will refuse it", certChain, notAfter);
        }
        log.info("TLS on: certificate for {}, valid until {}", chain[0].getSubjectX500Principal(), notAfter);
        try {
            return new RelayTls(SslContextBuilder.forServer(privateKey, chain)
                    .sslProvider(SslProvider.JDK)
                    .protocols(PROTOCOLS)
                    // Mozilla's "modern" list (the one HTTP/2 requires): TLS 1.3's suites, ECDHE + AEAD for 1.2.
                    .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                    .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                            ApplicationProtocolNames.HTTP_1_1))
                    .build(), null);
        } catch (SSLException e) {
            throw new IllegalArgumentException("cannot set up TLS with " + certChain + " and " + key + ": "
                                               + e.getMessage(), e);
        }
    }

    /** Also answer plain HTTP on {@code port} with a redirect to the https:// URL. */
    public RelayTls withRedirectPort(Integer port) {
        return new RelayTls(context, port);
    }

    private static X509Certificate[] readChain(Path file) {
        byte[] pem = read(file, "TLS certificate");
        try {
            X509Certificate[] chain = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem)).toArray(X509Certificate[]::new);
            if (chain.length > 0) {
                return chain;
            }
        } catch (GeneralSecurityException e) {
            // said below
        }
        throw new IllegalArgumentException("the TLS certificate " + file
                + " holds no PEM certificate ('-----BEGIN CERTIFICATE-----')");
    }

    private static PrivateKey readKey(Path file, X509Certificate leaf) {
        String pem = new String(read(file, "TLS private key"), StandardCharsets.US_ASCII);
        Matcher pkcs8 = PKCS8_KEY.matcher(pem);
        if (!pkcs8.find()) {
            throw new IllegalArgumentException("the TLS private key " + file + " is not an unencrypted PKCS#8 PEM key "
                    + "('-----BEGIN PRIVATE KEY-----')" + (pem.contains("PRIVATE KEY-----")
                    ? "; convert it with: openssl pkcs8 -topk8 -nocrypt -in " + file + " -out key.pem" : ""));
        }
        String algorithm = leaf.getPublicKey().getAlgorithm();
        try {
            return KeyFactory.getInstance(algorithm)
                    .generatePrivate(new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(pkcs8.group(1))));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("the TLS private key " + file + " is not a valid " + algorithm
                    + " key for the certificate: " + e.getMessage(), e);
        }
    }

    /** A key from another certificate would fail every handshake later, with a far less clear message. */
    private static void checkPair(PrivateKey key, X509Certificate leaf, Path certChain, Path keyFile) {
        String algorithm = PROOF.get(key.getAlgorithm());
        if (algorithm == null) {
            return; // nothing to check it with here; the handshake will tell
        }
        try {
            byte[] challenge = "portsicle".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(leaf.getPublicKey());
            verifier.update(challenge);
            if (verifier.verify(signature)) {
                return;
            }
        } catch (GeneralSecurityException e) {
            // said below
        }
        throw new IllegalArgumentException("the TLS private key " + keyFile + " does not belong to the first "
                                           + "certificate in " + certChain);
    }

    private static byte[] read(Path file, String what) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("the " + what + " " + file + " does not exist");
        } catch (AccessDeniedException e) {
            throw new IllegalArgumentException("the " + what + " " + file + " is not readable (permission denied)");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the " + what + " " + file + ": " + e.getMessage());
        }
    }

    @Override
    public String toString() { // no key material in logs
        return "RelayTls[redirectPort=" + redirectPort + "]";
    }
}
