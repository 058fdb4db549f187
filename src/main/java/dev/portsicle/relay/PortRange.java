package dev.portsicle.relay;

/** A range of TCP ports the relay may hand to TCP tunnels, e.g. {@code 20000-20999}. */
public record PortRange(int first, int last) {
    public PortRange {
        if (first < 1 || last > 65535 || first > last) {
            throw new IllegalArgumentException("port range must be FIRST-LAST within 1-65535, not " + first + "-" + last);
        }
    }

    public static PortRange parse(String text) {
        String[] parts = text.trim().split("-", 2);
        try {
            int first = Integer.parseInt(parts[0].trim());
            return new PortRange(first, parts.length == 2 ? Integer.parseInt(parts[1].trim()) : first);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port range must look like 20000-20999, not '" + text + "'");
        }
    }

    public boolean contains(int port) {
        return port >= first && port <= last;
    }

    public int size() {
        return last - first + 1;
    }
}
