package dev.portsicle.testing;

import java.util.List;

/** A header line as it was on the wire: name with its case, value trimmed. */
public record Header(String name, String value) {

    /** The first value of {@code name} (any case) in {@code headers}, or null. */
    static String first(List<Header> headers, String name) {
        return headers.stream().filter(h -> h.name().equalsIgnoreCase(name)).map(Header::value)
                .findFirst().orElse(null);
    }

    /** Every value of {@code name} (any case), in order. */
    static List<String> all(List<Header> headers, String name) {
        return headers.stream().filter(h -> h.name().equalsIgnoreCase(name)).map(Header::value).toList();
    }
}
