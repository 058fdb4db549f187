package dev.portsicle.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.List;

/**
 * Control messages: small JSON objects in WebSocket text frames, apart from stream data.
 *
 * <pre>
 * agent → relay  {"type":"hello","version":1}                       the WebSocket is up on our side
 * relay → agent  {"type":"welcome","version":1}                     what follows in binary is HTTP/2
 * agent → relay  {"type":"bind","ref":1,"kind":"http","resume":"…"}  ask for a tunnel (resume: keep an id)
 *                {"type":"bind","ref":1,"kind":"tcp","resume":"…","port":20001}  (port: the one held before)
 *                {"type":"bind","ref":1,"kind":"http","name":"myapp","basicAuth":"user:pw",
 *                 "allowCidrs":["10.0.0.0/8"],"denyCidrs":["10.9.0.0/16"]}  (a chosen name, who may visit)
 * relay → agent  {"type":"bound","ref":1,"tunnel":"…","url":"…","resume":"…"}
 * relay → agent  {"type":"refused","ref":1,"message":"…"}            a bind or the session was refused
 * </pre>
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = ControlMessage.Hello.class, name = "hello"),
    @JsonSubTypes.Type(value = ControlMessage.Welcome.class, name = "welcome"),
    @JsonSubTypes.Type(value = ControlMessage.Bind.class, name = "bind"),
    @JsonSubTypes.Type(value = ControlMessage.Bound.class, name = "bound"),
    @JsonSubTypes.Type(value = ControlMessage.Refused.class, name = "refused"),
})
@JsonInclude(JsonInclude.Include.NON_NULL)
public sealed interface ControlMessage {

    record Hello(int version) implements ControlMessage {
    }

    /**
     * The relay's answer to hello. Each side starts its HTTP/2 end only after this exchange, so neither
     * receives HTTP/2 bytes before its codec is in place: the relay right after sending welcome, the agent
     * on reading it.
     */
    record Welcome(int version) implements ControlMessage {
    }

    /**
     * {@code kind} is "http" or "tcp"; {@code resume} is the token of a tunnel to get back, or null;
     * {@code port} is the public TCP port a tcp tunnel held before, or null; {@code name} a chosen name
     * (host mode), or null for a random id. The relay enforces {@code basicAuth} ("user:password") and the
     * visitor address blocks itself; all may be null.
     */
    record Bind(int ref, String kind, String resume, Integer port, String name, String basicAuth,
                List<String> allowCidrs, List<String> denyCidrs) implements ControlMessage {

        @Override
        public String toString() { // the password stays out of logs
            return "Bind[ref=" + ref + ", kind=" + kind + ", name=" + name + ", basicAuth="
                   + (basicAuth == null ? "none" : "***") + ", allow=" + allowCidrs + ", deny=" + denyCidrs + "]";
        }
    }

    record Bound(int ref, String tunnel, String url, String resume) implements ControlMessage {
    }

    record Refused(int ref, String message) implements ControlMessage {
    }

    ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    static String encode(ControlMessage message) {
        try {
            return JSON.writeValueAsString(message);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + message, e);
        }
    }

    /** Malformed input is an error for the caller to report, never a crash. */
    static ControlMessage decode(String text) throws MalformedControlMessageException {
        try {
            return JSON.readValue(text, ControlMessage.class);
        } catch (JsonProcessingException e) {
            throw new MalformedControlMessageException(e.getOriginalMessage());
        }
    }

    final class MalformedControlMessageException extends Exception {
        public MalformedControlMessageException(String message) {
            super("malformed control message: " + message);
        }
    }
}
