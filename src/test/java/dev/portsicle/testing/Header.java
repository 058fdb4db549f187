package dev.portsicle.testing;

import java.util.ArrayList;
import java.util.List;

/**
 * One header line as it was on the wire: the name with its case, the value without the optional
 * whitespace around it. Kept in a list (not a map) so that order and repeated names survive, which is
 * exactly what a tunnel must not change.
 */
public record Header(String name, String value) {

    /** Headers from alternating names and values: {@code Header.of("A", "1", "a", "2")}. */
    public static List<Header> of(String... namesAndValues) {
        if (namesAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("names and values must alternate");
        }
        List<Header> headers = new ArrayList<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            headers.add(new Header(namesAndValues[i], namesAndValues[i + 1]));
        }
        return List.copyOf(headers);
    }

    /** The first value of {@code name} (any case) in {@code headers}, or null. */
    public static String first(List<Header> headers, String name) {
        return headers.stream().filter(h -> h.name().equalsIgnoreCase(name)).map(Header::value)
                .findFirst().orElse(null);
    }

    /** Every value of {@code name} (any case), in order. */
    public static List<String> all(List<Header> headers, String name) {
        return headers.stream().filter(h -> h.name().equalsIgnoreCase(name)).map(Header::value).toList();
    }

    /** As it would be written, without the line end: readable in assertion messages. */
    @Override
    public String toString() {
        return name + ": " + value;
    }
}
