package dev.portsicle.protocol;

import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;

/**
 * The HEADERS that open and answer a stream. The relay opens a stream with what it is for; the agent
 * answers {@code :status 200} once the local side is connected, or an error status with a reason the
 * relay shows the visitor. Everything else a stream carries is DATA. On a stream carrying a later
 * exchange ({@link StreamReuse}) the agent has answered already, so an error comes as trailers, which
 * may not hold pseudo-headers: its status travels as {@code portsicle-status}.
 *
 * <pre>
 * relay → agent   :method POST  :scheme http  :path /  :authority &lt;tunnel id&gt;
 *                 portsicle-kind: http | tcp
 *                 portsicle-visitor: 203.0.113.7:51234
 * agent → relay   :status 200                                   (then DATA)
 *                 :status 502  portsicle-error: &lt;reason&gt;        (with END_STREAM)
 *                 portsicle-status: 502  portsicle-error: &lt;reason&gt; (trailers, with END_STREAM)
 * </pre>
 */
public final class StreamHeaders {
    public static final String KIND_HTTP = "http";
    public static final String KIND_TCP = "tcp";

    private static final String KIND = "portsicle-kind";
    private static final String VISITOR = "portsicle-visitor";
    private static final String ERROR = "portsicle-error";
    private static final String STATUS = "portsicle-status";

    /** What a stream is for, as the agent reads it from the opening HEADERS. */
    public record Open(String kind, String tunnel, String visitor) {
        public Http2Headers toHeaders() {
            return new DefaultHttp2Headers()
                    .method("POST").scheme("http").path("/").authority(tunnel)
                    .add(KIND, kind)
                    .add(VISITOR, visitor);
        }

        public static Open of(Http2Headers headers) {
            return new Open(string(headers.get(KIND)), string(headers.authority()), string(headers.get(VISITOR)));
        }
    }

    /** The agent's answer: 200 means connected, anything else is a failure with a reason. */
    public record Answer(int status, String error) {
        public static final Answer CONNECTED = new Answer(200, null);

        public boolean connected() {
            return status == 200;
        }

        public Http2Headers toHeaders() {
            Http2Headers headers = new DefaultHttp2Headers().status(Integer.toString(status));
            if (error != null) {
                headers.add(ERROR, error);
            }
            return headers;
        }

        /** The answer to a later exchange on a stream already answered (see above). */
        public Http2Headers toTrailers() {
            Http2Headers headers = new DefaultHttp2Headers().add(STATUS, Integer.toString(status));
            if (error != null) {
                headers.add(ERROR, error);
            }
            return headers;
        }

        public static Answer of(Http2Headers headers) {
            CharSequence text = headers.status() != null ? headers.status() : headers.get(STATUS);
            int status;
            try {
                status = Integer.parseInt(string(text));
            } catch (NumberFormatException e) {
                return new Answer(502, "the agent sent no valid status");
            }
            return new Answer(status, string(headers.get(ERROR)));
        }
    }

    private static String string(CharSequence value) {
        return value == null ? null : value.toString();
    }

    private StreamHeaders() {
    }
}
