package dev.tfinterop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** info's JSON (docs/CONTRACT.md): exactly its keys, and apis that say what each mode sends. */
class InfoTest {
  @TempDir Path dir;

  @Test
  void infoPrintsOneJsonLineWithExactlyTheContractsKeys() throws Exception {
    CliTest.Outcome o = CliTest.execute("info");
    assertEquals(0, o.status(), o.err());
    assertEquals(1, o.out().lines().count(), o.out());
    JsonNode info = new ObjectMapper().readTree(o.out());
    List<String> keys = new ArrayList<>();
    info.fieldNames().forEachRemaining(keys::add);
    assertEquals(
        List.of("apis", "client", "language", "modes", "runtime", "unsupported_dtypes"), keys);
    assertEquals("java", info.get("client").asText());
    assertEquals(
        "[\"inproc\",\"grpc\",\"rest\",\"v2grpc\",\"v2rest\"]", info.get("modes").toString());
    assertEquals(
        "{\"grpc\":[\"predict\",\"classify\",\"regress\",\"multi_inference\",\"metadata\"],"
            + "\"inproc\":[\"predict\",\"metadata\"],"
            + "\"rest\":[\"predict\",\"classify\",\"regress\",\"metadata\"],"
            + "\"v2grpc\":[\"predict\"],"
            + "\"v2rest\":[\"predict\"]}",
        info.get("apis").toString());
    assertEquals(
        "{\"grpc\":[],"
            + "\"inproc\":[\"int8\",\"int16\",\"uint32\",\"uint64\",\"complex64\",\"complex128\"],"
            + "\"rest\":[],\"v2grpc\":[],\"v2rest\":[]}",
        info.get("unsupported_dtypes").toString());
    assertEquals(
        info.get("runtime").get("tensorflow").asText(), org.tensorflow.TensorFlow.version());
  }

  /**
   * Each transport answers UNIMPLEMENTED by itself exactly for the APIs info leaves out; the others
   * are sent (to a port nothing listens on, or to a config without the model).
   */
  @ParameterizedTest
  @ValueSource(strings = {"inproc", "grpc", "rest", "v2grpc", "v2rest"})
  void aTransportSendsExactlyTheApisInfoLists(String mode) throws Exception {
    List<Api> listed = Transports.apis(mode);
    Map<String, Transport> transports =
        Map.of(
            "inproc", new InprocTransport(ModelConfigFile.parse("", dir, "empty")),
            "grpc", new GrpcTransport("127.0.0.1:9", 2_000),
            "rest", new RestTransport("http://127.0.0.1:9", 2_000),
            "v2grpc", new V2GrpcTransport("127.0.0.1:9", 2_000),
            "v2rest", new V2RestTransport("http://127.0.0.1:9", 2_000));
    try {
      Transport t = transports.get(mode);
      for (Api api : Api.values()) {
        CaseRequest request =
            new CaseRequest(api, Transports.parseRequest(mode, api, new byte[0]), RestFormat.ROW);
        Status.Code code;
        try {
          t.call(request);
          code = Status.Code.OK;
        } catch (ServingException e) {
          code = e.code();
        }
        if (listed.contains(api)) {
          assertNotEquals(Status.Code.UNIMPLEMENTED, code, mode + " " + api.id());
        } else {
          assertEquals(Status.Code.UNIMPLEMENTED, code, mode + " " + api.id());
        }
      }
    } finally {
      transports.values().forEach(Transport::close);
    }
  }
}
