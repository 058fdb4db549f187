package dev.portsicle.agent;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import java.net.Socket;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The JDK's check of the relay's certificate, unchanged, with its refusals turned into one line a person
 * can act on ({@link Refused}): the JDK says "PKIX path building failed: ...", we say "relay certificate
 * not trusted: CN=..., self-signed (use --ca FILE for a private CA)".
 */
final class RelayCertificateCheck extends X509ExtendedTrustManager {
    /** A definite "no" about the relay's certificate: retrying cannot help. */
    static final class Refused extends CertificateException {
        Refused(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static final int SAN_DNS = 2;
    private static final int SAN_IP = 7;

    private final X509ExtendedTrustManager jdk;

    RelayCertificateCheck(X509ExtendedTrustManager jdk) {
        this.jdk = jdk;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        try {
            jdk.checkServerTrusted(chain, authType, engine);
        } catch (CertificateException e) {
            throw new Refused(explain(e, chain, engine == null ? null : engine.getPeerHost()), e);
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        try {
            jdk.checkServerTrusted(chain, authType, socket);
        } catch (CertificateException e) {
            throw new Refused(explain(e, chain, null), e);
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        try {
            jdk.checkServerTrusted(chain, authType);
        } catch (CertificateException e) {
            throw new Refused(explain(e, chain, null), e);
        }
    }

    /** The JDK checks the chain first (building a path to a trusted CA, then validating it), the host name last. */
    private static String explain(CertificateException e, X509Certificate[] chain, String host) {
        X509Certificate leaf = chain[0];
        if (has(e, CertPathBuilderException.class)) {
            boolean selfSigned = leaf.getSubjectX500Principal().equals(leaf.getIssuerX500Principal());
            return "relay certificate not trusted: " + leaf.getSubjectX500Principal()
                   + (selfSigned ? ", self-signed" : ", issued by " + leaf.getIssuerX500Principal())
                   + " (use --ca FILE for a private CA)";
        }
        if (has(e, CertPathValidatorException.class)) {
            try {
                leaf.checkValidity();
            } catch (CertificateExpiredException expired) {
                return "relay certificate expired on " + leaf.getNotAfter();
            } catch (CertificateNotYetValidException early) {
                return "relay certificate not valid before " + leaf.getNotBefore() + " (is this machine's clock right?)";
            }
            return "relay certificate refused: " + rootMessage(e);
        }
        return "relay certificate is not valid for " + (host == null ? "this host" : host) + ": it names "
               + String.join(", ", names(leaf));
    }

    private static boolean has(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage();
    }

    /** The host names and addresses a certificate is for (its subject alternative names), or its subject. */
    private static List<String> names(X509Certificate certificate) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
            for (List<?> san : sans == null ? List.<List<?>>of() : sans) {
                int type = (Integer) san.get(0);
                if (type == SAN_DNS || type == SAN_IP) {
                    names.add(san.get(1).toString());
                }
            }
        } catch (CertificateParsingException e) {
            // fall back on the subject
        }
        return names.isEmpty() ? List.of(certificate.getSubjectX500Principal().toString()) : names;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        jdk.checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        jdk.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        jdk.checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return jdk.getAcceptedIssuers();
    }
}
