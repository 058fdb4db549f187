package dev.portsicle.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The protocol's codecs on EmbeddedChannel: what goes in, what comes out, and hostile input. */
class ProtocolCodecTest {

    @Test
    void controlMessagesRoundTripAsJson() throws Exception {
        ControlMessage bind = new ControlMessage.Bind(3, "tcp", "token", 20001, null, null, null, null);
        String json = ControlMessage.encode(bind);
        assertThat(json).contains("\"type\":\"bind\"").contains("\"port\":20001").doesNotContain("name");
        assertThat(ControlMessage.decode(json)).isEqualTo(bind);
        ControlMessage protectedBind = new ControlMessage.Bind(1, "http", null, null, "myapp", "ann:s3cret",
                List.of("10.0.0.0/8"), List.of("10.9.0.0/16"));
        assertThat(ControlMessage.decode(ControlMessage.encode(protectedBind))).isEqualTo(protectedBind);
        assertThat(protectedBind.toString()).contains("myapp").doesNotContain("s3cret"); // logs never show it
        assertThat(ControlMessage.decode("{\"type\":\"hello\",\"version\":1,\"future\":true}"))
                .isEqualTo(new ControlMessage.Hello(1)); // unknown fields from a newer peer are ignored
    }

    @Test
    void malformedControlMessagesAreErrorsNotCrashes() {
        assertThatThrownBy(() -> ControlMessage.decode("{\"type\":\"launch-missiles\"}"))
                .isInstanceOf(ControlMessage.MalformedControlMessageException.class);
        assertThatThrownBy(() -> ControlMessage.decode("not json"))
                .isInstanceOf(ControlMessage.MalformedControlMessageException.class);
    }

    @Test
    void binaryFramesBecomeBytesAndTextFramesControlMessages() {
        EmbeddedChannel channel = new EmbeddedChannel(new WebSocketBytesCodec());
        channel.writeInbound(new BinaryWebSocketFrame(Unpooled.copiedBuffer("h2 bytes", StandardCharsets.US_ASCII)));
        channel.writeInbound(new TextWebSocketFrame("{\"type\":\"welcome\",\"version\":1}"));
        ByteBuf bytes = channel.readInbound();
        assertThat(bytes.toString(StandardCharsets.US_ASCII)).isEqualTo("h2 bytes");
        bytes.release();
        assertThat((Object) channel.readInbound()).isEqualTo(new ControlMessage.Welcome(1));
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void garbageInATextFrameFailsThePipelineInsteadOfPassingOn() {
        EmbeddedChannel channel = new EmbeddedChannel(new WebSocketBytesCodec());
        assertThatThrownBy(() -> channel.writeInbound(new TextWebSocketFrame("{{{{")))
                .hasMessageContaining("malformed control message");
        assertThat((Object) channel.readInbound()).isNull();
        channel.finishAndReleaseAll();
    }

    @Test
    void bytesWrittenBetweenFlushesLeaveAsOneBinaryFrameAndBigOnesAreSplit() {
        EmbeddedChannel channel = new EmbeddedChannel(new WebSocketBytesCodec());
        channel.write(Unpooled.copiedBuffer("frame header ", StandardCharsets.US_ASCII));
        channel.write(Unpooled.copiedBuffer("and payload", StandardCharsets.US_ASCII));
        channel.write(Unpooled.EMPTY_BUFFER);
        channel.flush();
        BinaryWebSocketFrame one = channel.readOutbound();
        assertThat(one.content().toString(StandardCharsets.US_ASCII)).isEqualTo("frame header and payload");
        one.release();
        assertThat((Object) channel.readOutbound()).isNull();

        channel.writeAndFlush(Unpooled.wrappedBuffer(new byte[Protocol.MAX_WEBSOCKET_FRAME * 2 + 10]));
        List<Integer> sizes = new ArrayList<>();
        BinaryWebSocketFrame frame;
        while ((frame = channel.readOutbound()) != null) {
            sizes.add(frame.content().readableBytes());
            frame.release();
        }
        assertThat(sizes).containsExactly(Protocol.MAX_WEBSOCKET_FRAME, Protocol.MAX_WEBSOCKET_FRAME, 10);
        channel.writeAndFlush(new ControlMessage.Hello(1));
        TextWebSocketFrame text = channel.readOutbound();
        assertThat(text.text()).isEqualTo("{\"type\":\"hello\",\"version\":1}");
        text.release();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void streamDataBecomesBytesAndEndStreamAHalfClose() {
        List<Object> events = new ArrayList<>();
        EmbeddedChannel channel = new EmbeddedChannel(new StreamBytesCodec(), new ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                events.add(evt);
            }
        });
        channel.writeInbound(new DefaultHttp2HeadersFrame(
                new StreamHeaders.Open(StreamHeaders.KIND_HTTP, "abcdefghijklm", "1.2.3.4:5").toHeaders()));
        channel.writeInbound(new DefaultHttp2DataFrame(Unpooled.copiedBuffer("GET / ", StandardCharsets.US_ASCII)));
        channel.writeInbound(new DefaultHttp2DataFrame(Unpooled.EMPTY_BUFFER, true));
        Http2HeadersFrame open = channel.readInbound();
        assertThat(StreamHeaders.Open.of(open.headers()))
                .isEqualTo(new StreamHeaders.Open("http", "abcdefghijklm", "1.2.3.4:5"));
        ByteBuf data = channel.readInbound();
        assertThat(data.toString(StandardCharsets.US_ASCII)).isEqualTo("GET / ");
        data.release();
        assertThat((Object) channel.readInbound()).isNull(); // the empty end carries no bytes
        assertThat(events).containsExactly(ChannelInputShutdownEvent.INSTANCE);

        channel.writeAndFlush(Unpooled.copiedBuffer("answer", StandardCharsets.US_ASCII));
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER); // dropped: an empty DATA frame means nothing
        channel.writeAndFlush(StreamBytesCodec.endStream());
        Http2DataFrame out = channel.readOutbound();
        assertThat(out.content().toString(StandardCharsets.US_ASCII)).isEqualTo("answer");
        assertThat(out.isEndStream()).isFalse();
        out.release();
        Http2DataFrame end = channel.readOutbound();
        assertThat(end.isEndStream()).isTrue();
        ReferenceCountUtil.release(end);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void theAgentsAnswerCarriesAStatusAndAReason() {
        StreamHeaders.Answer refused = new StreamHeaders.Answer(502, "connection refused");
        assertThat(StreamHeaders.Answer.of(refused.toHeaders())).isEqualTo(refused);
        assertThat(StreamHeaders.Answer.of(StreamHeaders.Answer.CONNECTED.toHeaders()).connected()).isTrue();
        assertThat(StreamHeaders.Answer.of(new io.netty.handler.codec.http2.DefaultHttp2Headers()).status())
                .isEqualTo(502); // no status from a broken agent: a gateway error, not a crash
    }
}
