package dev.portsicle.agent;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;

import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;

/**
 * Which relay certificates the agent accepts on wss:// and https:// relay URLs: those the system trusts
 * (the JDK's trust store) for the relay's host name, also those of a private CA ({@code --ca}); or, with
 * {@code --insecure}, any at all.
 *
 * @param ca       a PEM file of CA certificates trusted besides the system's, or null
 * @param insecure accept any certificate for any name (local testing only)
 */
public record RelayTrust(Path ca, boolean insecure) {
    public static final RelayTrust SYSTEM = new RelayTrust(null, false);

    public RelayTrust {
        if (ca != null && insecure) {
            throw new IllegalArgumentException("--ca and --insecure exclude each other");
        }
    }

    SslContext newClientContext() throws SSLException {
        SslContextBuilder builder = SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
                .protocols("TLSv1.3", "TLSv1.2");
        if (insecure) {
            return builder.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null)
                    .build();
        }
        return builder.trustManager(new RelayCertificateCheck(trustManager()))
                .endpointIdentificationAlgorithm("HTTPS")
                .build();
    }

    /** The JDK's standard checks (chain to a trusted CA, validity, host name) over the trusted CAs. */
    private X509ExtendedTrustManager trustManager() {
        try {
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(ca == null ? null : systemAnd(readCa()));
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509ExtendedTrustManager x509) {
                    return x509;
                }
            }
            throw new IllegalStateException("this JVM has no X.509 trust manager");
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot load the trusted CAs: " + e.getMessage(), e);
        }
    }

    /** The system's trusted CAs plus ours: --ca adds trust, it does not replace the system's. */
    private static KeyStore systemAnd(Collection<X509Certificate> extra) throws GeneralSecurityException, IOException {
        TrustManagerFactory system = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        system.init((KeyStore) null);
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        int n = 0;
        for (TrustManager manager : system.getTrustManagers()) {
            if (manager instanceof X509ExtendedTrustManager x509) {
                for (X509Certificate anchor : x509.getAcceptedIssuers()) {
                    store.setCertificateEntry("system-" + n++, anchor);
                }
            }
        }
        for (X509Certificate certificate : extra) {
            store.setCertificateEntry("ca-" + n++, certificate);
        }
        return store;
    }

    private Collection<X509Certificate> readCa() {
        try (InputStream in = Files.newInputStream(ca)) {
            Collection<? extends Certificate> read = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (!read.isEmpty()) {
                return read.stream().map(X509Certificate.class::cast).toList();
            }
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("--ca " + ca + ": no such file");
        } catch (IOException e) {
            throw new IllegalArgumentException("--ca " + ca + ": cannot read it: " + e.getMessage());
        } catch (GeneralSecurityException e) {
            // said below
        }
        throw new IllegalArgumentException("--ca " + ca + " holds no PEM certificate ('-----BEGIN CERTIFICATE-----')");
    }
}
