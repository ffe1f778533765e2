import io.taskloop.config.Config;
import io.taskloop.loop.NodeContext;
import io.taskloop.task.SpecDecoder;
import io.taskloop.task.TaskType;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.Validator;
import java.time.Clock;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * What request validation costs on taskloop's hot path, in isolation (single thread, no HTTP):
 * ns per body for
 *   parse       Json.decodeValue(buffer)                 (both designs need it)
 *   decoder     parse + SpecDecoder.decode -> TaskSpec   (what taskloop does)
 *   schema      parse + vertx-json-schema Validator over a TaskSpec JSON schema written to
 *               match SpecDecoder's rules (oneOf over the 7 types, as an OpenAPI contract would)
 *   schema-1    parse + the same validator over only the branch the body takes (a lower bound
 *               for any generic validator), then still no typed record
 * for the bodies of scenarios (a)/(b) and (c), with the vertx-json-schema that vertx-openapi uses.
 *
 *   java -cp target/taskloop.jar:$HOME/.m2/repository/io/vertx/vertx-json-schema/5.0.10/vertx-json-schema-5.0.10.jar \
 *       bench/DecodeCost.java
 *
 * (vertx-json-schema is not in the fat jar: taskloop does not use it at run time; the test-scoped
 * vertx-openapi that ContractTest uses brings it into the local Maven repository.)
 *
 * A loop-and-clock harness (no JMH on this machine): 1 s warm-up, then 5 rounds of 0.3 s; the
 * median round is reported. Treat differences under ~10% as noise.
 */
public class DecodeCost {

  static final String SLEEP = "{\"type\":\"sleep\",\"delay_ms\":0}";
  static final String GATHER;

  static {
    String[] c = new String[10];
    Arrays.fill(c, SLEEP);
    GATHER = "{\"tasks\":[" + String.join(",", c) + "]}";
  }

  static volatile Object sink;

  public static void main(String[] args) {
    // The decoder exactly as a node builds it, from the default configuration.
    SpecDecoder decoder = new NodeContext("bench00", Config.defaults(), Clock.systemUTC(), context -> null,
        new io.taskloop.metrics.Metrics(new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
            io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT))).decoder();
    JsonSchemaOptions options = new JsonSchemaOptions().setDraft(Draft.DRAFT202012)
        .setBaseUri("https://taskloop.invalid/").setOutputFormat(OutputFormat.Flag);
    Validator anySpec = Validator.create(JsonSchema.of(new JsonObject().put("$defs", defs()).put("$ref", "#/$defs/spec")), options);
    Validator gatherEndpoint = Validator.create(JsonSchema.of(new JsonObject().put("$defs", defs()).put("$ref", "#/$defs/gatherBody")), options);
    Validator sleepOnly = Validator.create(JsonSchema.of(new JsonObject().put("$defs", defs()).put("$ref", "#/$defs/sleep")), options);
    Validator gatherOfSleepsOnly = Validator.create(JsonSchema.of(new JsonObject().put("$defs", defs())
        .put("type", "object").put("required", new JsonArray().add("tasks"))
        .put("properties", new JsonObject().put("tasks", new JsonObject().put("type", "array").put("maxItems", 1000)
            .put("items", new JsonObject().put("$ref", "#/$defs/sleep"))))
        .put("additionalProperties", false)), options);

    // The validators and the decoder must agree on what they accept and reject.
    check(anySpec.validate(new JsonObject(SLEEP)).getValid(), "schema accepts the sleep body");
    check(gatherEndpoint.validate(new JsonObject(GATHER)).getValid(), "schema accepts the gather body");
    check(!anySpec.validate(new JsonObject("{\"type\":\"sleep\",\"delay_ms\":-1}")).getValid(), "schema rejects delay_ms -1");
    check(!anySpec.validate(new JsonObject("{\"type\":\"sleep\",\"delay_ms\":0,\"x\":1}")).getValid(), "schema rejects an unknown field");
    check(!gatherEndpoint.validate(new JsonObject("{\"tasks\":[{\"type\":\"sleep\"}]}")).getValid(), "schema rejects a child without delay_ms");
    check(sleepOnly.validate(new JsonObject(SLEEP)).getValid() && gatherOfSleepsOnly.validate(new JsonObject(GATHER)).getValid(), "branch-only schemas accept");

    Buffer sleep = Buffer.buffer(SLEEP);
    Buffer gather = Buffer.buffer(GATHER);
    System.out.printf("%-44s %12s%n", "case (median of 5 rounds)", "ns/body");
    report("(a) sleep body: parse", () -> Json.decodeValue(sleep));
    report("(a) sleep body: parse + SpecDecoder", () -> decoder.decode((JsonObject) Json.decodeValue(sleep)));
    report("(a) sleep body: parse + schema (oneOf)", () -> anySpec.validate(Json.decodeValue(sleep)));
    report("(a) sleep body: parse + schema (sleep only)", () -> sleepOnly.validate(Json.decodeValue(sleep)));
    report("(c) gather body: parse", () -> Json.decodeValue(gather));
    report("(c) gather body: parse + SpecDecoder", () -> decoder.decode((JsonObject) Json.decodeValue(gather), TaskType.GATHER));
    report("(c) gather body: parse + schema (oneOf)", () -> gatherEndpoint.validate(Json.decodeValue(gather)));
    report("(c) gather body: parse + schema (sleeps only)", () -> gatherOfSleepsOnly.validate(Json.decodeValue(gather)));
  }

  static void check(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException("sanity check failed: " + what);
    }
  }

  static void report(String name, Supplier<Object> op) {
    run(op, 1_000_000_000L);
    double[] rounds = new double[5];
    for (int i = 0; i < rounds.length; i++) {
      rounds[i] = run(op, 300_000_000L);
    }
    Arrays.sort(rounds);
    System.out.printf("%-44s %12.0f   (rounds %.0f..%.0f)%n", name, rounds[2], rounds[0], rounds[4]);
    System.out.printf("RESULT decode case=\"%s\" ns=%.0f%n", name, rounds[2]);
  }

  /** Runs op for about `nanos`; returns ns per call. */
  static double run(Supplier<Object> op, long nanos) {
    long calls = 0;
    long start = System.nanoTime();
    long end = start + nanos;
    long now;
    do {
      for (int i = 0; i < 1_000; i++) {
        sink = op.get();
      }
      calls += 1_000;
      now = System.nanoTime();
    } while (now < end);
    return (now - start) / (double) calls;
  }

  /** A JSON schema (2020-12) of TaskSpec with SpecDecoder's rules. */
  static JsonObject defs() {
    JsonObject ms = new JsonObject().put("type", "integer").put("minimum", 0).put("maximum", 31L * 24 * 3600 * 1000);
    JsonObject name = new JsonObject().put("type", "string").put("minLength", 1).put("maxLength", 200);
    JsonObject labels = new JsonObject().put("type", "object").put("maxProperties", 32)
        .put("propertyNames", new JsonObject().put("minLength", 1).put("maxLength", 200).put("pattern", "^[^=]*$"))
        .put("additionalProperties", new JsonObject().put("type", "string").put("maxLength", 200));
    JsonObject eventName = new JsonObject().put("type", "string").put("pattern", "^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,199}$");
    JsonObject child = new JsonObject().put("oneOf", new JsonArray()
        .add(new JsonObject().put("$ref", "#/$defs/spec"))
        .add(new JsonObject().put("type", "string").put("pattern", "^[a-z0-9]{1,16}-[0-9]{1,4}-[0-9]{1,19}$")));
    JsonObject tasks = new JsonObject().put("type", "array").put("maxItems", 1000).put("items", new JsonObject().put("$ref", "#/$defs/child"));
    JsonObject defs = new JsonObject()
        .put("ms", ms).put("name", name).put("labels", labels).put("child", child)
        .put("sleep", type("sleep", new JsonObject().put("delay_ms", ref("ms")).put("result", true), "delay_ms"))
        .put("external", type("external", new JsonObject()))
        .put("event", type("event", new JsonObject().put("event", eventName), "event"))
        .put("gather", type("gather", new JsonObject().put("tasks", tasks).put("return_exceptions",
            new JsonObject().put("type", "boolean")), "tasks"))
        .put("wait", type("wait", new JsonObject().put("tasks", tasks.copy().put("minItems", 1)).put("return_when",
            new JsonObject().put("enum", new JsonArray().add("FIRST_COMPLETED").add("FIRST_EXCEPTION").add("ALL_COMPLETED"))), "tasks"))
        .put("wait_for", type("wait_for", new JsonObject().put("task", ref("child")), "task"))
        .put("shield", type("shield", new JsonObject().put("task", ref("child")), "task"));
    JsonArray oneOf = new JsonArray();
    for (String t : new String[] {"sleep", "external", "event", "gather", "wait", "wait_for", "shield"}) {
      oneOf.add(ref(t));
    }
    defs.put("spec", new JsonObject().put("oneOf", oneOf));
    // POST /v1/gather: the gather shape, type optional.
    JsonObject gatherBody = defs.getJsonObject("gather").copy();
    gatherBody.put("required", new JsonArray().add("tasks"));
    defs.put("gatherBody", gatherBody);
    return defs;
  }

  static JsonObject ref(String def) {
    return new JsonObject().put("$ref", "#/$defs/" + def);
  }

  static JsonObject type(String wire, JsonObject own, String... required) {
    JsonObject props = new JsonObject()
        .put("type", new JsonObject().put("const", wire))
        .put("name", ref("name")).put("timeout_ms", ref("ms")).put("labels", ref("labels"));
    own.forEach(e -> props.put(e.getKey(), e.getValue()));
    JsonArray req = new JsonArray().add("type");
    for (String r : required) {
      req.add(r);
    }
    return new JsonObject().put("type", "object").put("required", req).put("properties", props)
        .put("additionalProperties", false);
  }
}
