package dev.portsicle.cli;

import picocli.CommandLine;

/** The version from the jar's manifest (the Maven project version), or "dev" when run from classes. */
final class Version implements CommandLine.IVersionProvider {
    static String get() {
        String version = Version.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }

    @Override
    public String[] getVersion() {
        return new String[] {"portsicle " + get() + " (protocol " + dev.portsicle.protocol.Protocol.VERSION + ")"};
    }
}
