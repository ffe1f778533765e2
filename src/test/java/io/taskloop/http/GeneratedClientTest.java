package io.taskloop.http;

import static io.taskloop.support.TestServer.config;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.taskloop.client.ApiClient;
import io.taskloop.client.ApiException;
import io.taskloop.client.ApiResponse;
import io.taskloop.client.api.ClusterApi;
import io.taskloop.client.api.CompositesApi;
import io.taskloop.client.api.EventsApi;
import io.taskloop.client.api.HealthApi;
import io.taskloop.client.api.TasksApi;
import io.taskloop.client.model.ChildRef;
import io.taskloop.client.model.Cluster;
import io.taskloop.client.model.CompleteRequest;
import io.taskloop.client.model.Event;
import io.taskloop.client.model.EventList;
import io.taskloop.client.model.EventSetRequest;
import io.taskloop.client.model.EventSpec;
import io.taskloop.client.model.EventSpecView;
import io.taskloop.client.model.ExternalSpec;
import io.taskloop.client.model.FailRequest;
import io.taskloop.client.model.FailRequestError;
import io.taskloop.client.model.GatherRequest;
import io.taskloop.client.model.GatherSpecView;
import io.taskloop.client.model.Health;
import io.taskloop.client.model.Problem;
import io.taskloop.client.model.ProblemError;
import io.taskloop.client.model.ReturnWhen;
import io.taskloop.client.model.SleepSpec;
import io.taskloop.client.model.SleepSpecView;
import io.taskloop.client.model.Task;
import io.taskloop.client.model.TaskError;
import io.taskloop.client.model.TaskList;
import io.taskloop.client.model.TaskSpec;
import io.taskloop.client.model.TaskState;
import io.taskloop.client.model.TaskType;
import io.taskloop.client.model.WaitForRequest;
import io.taskloop.client.model.WaitRequest;
import io.taskloop.client.model.WaitResult;
import io.taskloop.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Drives a real node through the Java client that openapi-generator makes from openapi.yaml at
 * build time (library {@code native}: java.net.http + Jackson; see the pom). Every request is built
 * and every answer read by generated code only, into the generated models: proof that the contract
 * is what a real OpenAPI client needs. The client's mapper is made strict (an unknown property is an
 * error), so a field the server sends that the contract does not name fails here too.
 */
@ExtendWith(VertxExtension.class)
class GeneratedClientTest {

  private static final String WAIT = "wait=5";

  private TestServer server;
  private ApiClient client;
  private ObjectMapper mapper;
  private TasksApi tasks;
  private CompositesApi composites;
  private EventsApi events;

  @BeforeEach
  void start(Vertx vertx) {
    server = TestServer.start(vertx, config("max_wait_ms", 5_000));
    mapper = ApiClient.createDefaultObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);
    client = new ApiClient()
        .setObjectMapper(mapper)
        .setReadTimeout(Duration.ofSeconds(TestServer.BOUND_S))
        .setConnectTimeout(Duration.ofSeconds(TestServer.BOUND_S));
    client.updateBaseUri("http://127.0.0.1:" + server.node.port());
    tasks = new TasksApi(client);
    composites = new CompositesApi(client);
    events = new EventsApi(client);
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  private static TaskSpec sleep(long delayMs, Object result) {
    return new TaskSpec(new SleepSpec().type(SleepSpec.TypeEnum.SLEEP).delayMs(delayMs).result(result));
  }

  private static TaskSpec external() {
    return new TaskSpec(new ExternalSpec().type(ExternalSpec.TypeEnum.EXTERNAL));
  }

  @Test
  void createsAndAwaitsASleepThroughTheGeneratedClient() throws ApiException {
    // Created and awaited in one request (Prefer: wait): 201 with the finished task.
    TaskSpec spec = new TaskSpec(new SleepSpec().type(SleepSpec.TypeEnum.SLEEP).delayMs(0L).result("hi")
        .name("nap").timeoutMs(5_000L).labels(Map.of("team", "billing")));
    ApiResponse<Task> created = tasks.createTaskWithHttpInfo(spec, null, WAIT, null);
    assertEquals(201, created.getStatusCode());
    Task t = created.getData();
    assertEquals(List.of("/v1/tasks/" + t.getId()), created.getHeaders().get("location"));
    assertEquals(TaskType.SLEEP, t.getType());
    assertEquals(TaskState.SUCCEEDED, t.getState());
    assertEquals("hi", t.getResult());
    assertEquals("nap", t.getName());
    assertEquals(Map.of("team", "billing"), t.getLabels());
    assertEquals(Instant.ofEpochMilli(TestServer.START), t.getCreatedAt().toInstant());
    assertNotNull(t.getStartedAt());
    assertNotNull(t.getFinishedAt());
    assertEquals(Instant.ofEpochMilli(TestServer.START + 5_000), t.getDeadline().toInstant());
    assertEquals(server.node.id(), t.getLoop().getNode());
    assertNull(t.getParent());
    assertEquals(List.of(), t.getChildren());
    assertNull(t.getError());
    assertTrue(t.getVersion() >= 1);
    // The spec comes back as the generated view type its discriminator names.
    SleepSpecView view = t.getSpec().getSleepSpecView();
    assertEquals(0L, view.getDelayMs());
    assertEquals("hi", view.getResult());
    assertEquals(5_000L, view.getTimeoutMs());
    assertEquals("nap", view.getName());

    // A sleep on the settable clock: a bounded read (?wait) answers running, then the clock moves
    // and a long-poll (Prefer: wait) answers it done.
    Task later = tasks.createTask(sleep(1_000, Map.of("n", 1)), null, null, null);
    assertEquals(TaskState.RUNNING, later.getState());
    assertNull(later.getFinishedAt());
    assertNull(later.getResult());
    assertEquals(TaskState.RUNNING, tasks.getTask(later.getId(), new BigDecimal("0.05"), null).getState());
    server.advance(1_000);
    Task done = tasks.getTask(later.getId(), null, WAIT);
    assertEquals(TaskState.SUCCEEDED, done.getState());
    assertEquals(Map.of("n", 1), done.getResult());
    assertTrue(done.getVersion() > later.getVersion());
    assertEquals(done.getId(), tasks.getTask(done.getId(), null, null).getId());

    // Idempotency-Key: the same key and body replay the original task with a 200.
    tasks.createTask(sleep(0, "once"), null, null, "order-1");
    ApiResponse<Task> replay = tasks.createTaskWithHttpInfo(sleep(0, "once"), null, null, "order-1");
    assertEquals(200, replay.getStatusCode());
    assertEquals(List.of("true"), replay.getHeaders().get("idempotent-replayed"));

    // Listing filters and pages into the generated TaskList.
    TaskList sleeps = tasks.listTasks(TaskState.SUCCEEDED, TaskType.SLEEP, null, null, null, 1, null);
    assertEquals(1, sleeps.getItems().size());
    assertNotNull(sleeps.getNextCursor());
    TaskList rest = tasks.listTasks(TaskState.SUCCEEDED, TaskType.SLEEP, null, null, "oldest", 100, sleeps.getNextCursor());
    assertEquals(2, rest.getItems().size());
    assertNull(rest.getNextCursor());
    TaskList newest = tasks.listTasks(TaskState.SUCCEEDED, TaskType.SLEEP, null, null, "newest", 100, null);
    assertEquals(3, newest.getItems().size());
    assertEquals(sleeps.getItems().get(0).getId(), newest.getItems().get(2).getId(), "newest first: the oldest comes last");
    assertEquals(List.of(t.getId()), tasks.listTasks(null, null, null, "team=billing", null, null, null).getItems().stream()
        .map(Task::getId).collect(Collectors.toList()));
  }

  @Test
  void completesFailsAndCancelsExternalTasks() throws ApiException {
    Task ext = tasks.createTask(external(), null, null, null);
    assertEquals(TaskType.EXTERNAL, ext.getType());
    assertEquals(TaskState.RUNNING, ext.getState());
    assertNotNull(ext.getSpec().getExternalSpecView());
    Task completed = tasks.completeTask(ext.getId(), new CompleteRequest().result(Map.of("charged", true, "amount", 42)));
    assertEquals(TaskState.SUCCEEDED, completed.getState());
    assertEquals(Map.of("charged", true, "amount", 42), completed.getResult());
    assertEquals(completed.getFinishedAt(), tasks.getTask(ext.getId(), null, WAIT).getFinishedAt());

    Task failing = tasks.createTask(external(), null, null, null);
    Task failed = tasks.failTask(failing.getId(),
        new FailRequest().error(new FailRequestError().type("ValueError").message("card declined").data(Map.of("code", 51))));
    assertEquals(TaskState.FAILED, failed.getState());
    TaskError error = failed.getError();
    assertEquals("ValueError", error.getType());
    assertEquals("card declined", error.getMessage());
    assertEquals(Map.of("code", 51), error.getData());
    assertNull(failed.getResult());

    Task victim = tasks.createTask(external(), null, null, null);
    Task cancelled = tasks.cancelTask(victim.getId());
    assertEquals(TaskState.CANCELLED, cancelled.getState());
    assertEquals("CancelledError", cancelled.getError().getType());
    assertEquals("cancelled by request", cancelled.getError().getMessage());
    assertEquals(TaskState.CANCELLED, tasks.getTask(victim.getId(), null, null).getState());

    // Cancelling it again is a 409, read as a problem.
    ApiException again = assertThrows(ApiException.class, () -> tasks.cancelTask(victim.getId()));
    assertEquals(409, again.getCode());
    assertEquals(409, problem(again).getStatus());
    tasks.deleteTask(victim.getId());
    assertEquals(404, assertThrows(ApiException.class, () -> tasks.getTask(victim.getId(), null, null)).getCode());
  }

  @Test
  void gathersWaitsAndWaitsForInOneRoundTrip() throws ApiException {
    Task failed = tasks.failTask(tasks.createTask(external(), null, null, null).getId(),
        new FailRequest().error(new FailRequestError().type("KeyError").message("nope")));

    GatherRequest gather = new GatherRequest().returnExceptions(true).tasks(List.of(
        new ChildRef(sleep(0, 1)), new ChildRef(sleep(0, "two")), new ChildRef(failed.getId())));
    ApiResponse<Task> answered = composites.gatherWithHttpInfo(gather, null, WAIT);
    assertEquals(200, answered.getStatusCode());
    Task g = answered.getData();
    assertEquals(TaskType.GATHER, g.getType());
    assertEquals(TaskState.SUCCEEDED, g.getState());
    List<?> results = assertInstanceOf(List.class, g.getResult());
    assertEquals(1, results.get(0));
    assertEquals("two", results.get(1));
    TaskError slot = mapper.convertValue(results.get(2), TaskError.class);
    assertEquals("KeyError", slot.getType());
    assertEquals(List.of(2), g.getErrorSlots());
    assertEquals(3, g.getChildren().size());
    assertEquals(failed.getId(), g.getChildren().get(2));
    GatherSpecView gView = g.getSpec().getGatherSpecView();
    assertEquals(g.getChildren(), gView.getTasks());
    assertTrue(gView.getReturnExceptions());
    // Inline children are tasks of their own, with the gather as parent.
    Task child = tasks.getTask(g.getChildren().get(0), null, null);
    assertEquals(g.getId(), child.getParent());
    assertEquals(1, child.getResult());

    // wait(FIRST_COMPLETED): its result fits the generated WaitResult.
    Task running = tasks.createTask(external(), null, null, null);
    Task w = composites.wait(new WaitRequest().returnWhen(ReturnWhen.FIRST_COMPLETED)
        .tasks(List.of(new ChildRef(sleep(0, "x")), new ChildRef(running.getId()))), null, WAIT);
    assertEquals(TaskState.SUCCEEDED, w.getState());
    WaitResult partition = mapper.convertValue(w.getResult(), WaitResult.class);
    assertEquals(List.of(w.getChildren().get(0)), partition.getDone());
    assertEquals(List.of(running.getId()), partition.getPending());
    assertEquals(ReturnWhen.FIRST_COMPLETED, w.getSpec().getWaitSpecView().getReturnWhen());

    // wait_for that has not finished when the wait passes: 202 with the running task.
    ApiResponse<Task> pending = composites.waitForWithHttpInfo(
        new WaitForRequest().task(new ChildRef(running.getId())).timeoutMs(60_000L), null, "wait=0.05");
    assertEquals(202, pending.getStatusCode());
    assertEquals(TaskState.RUNNING, pending.getData().getState());
    assertEquals(running.getId(), pending.getData().getSpec().getWaitForSpecView().getTask());
    // An empty request, not null: for an omitted optional body this client sends the JSON `null`
    // (Content-Type: application/json), which the server refuses as not an object (422, pointer "").
    tasks.completeTask(running.getId(), new CompleteRequest());
    Task wf = tasks.getTask(pending.getData().getId(), null, WAIT);
    assertEquals(TaskState.SUCCEEDED, wf.getState());
    assertNull(wf.getResult(), "completed without a result: null");
  }

  @Test
  void anEventTaskSucceedsWhenTheEventIsSet() throws ApiException {
    Task waiter = tasks.createTask(new TaskSpec(new EventSpec().type(EventSpec.TypeEnum.EVENT).event("deploy-42")), null, null, null);
    assertEquals(TaskType.EVENT, waiter.getType());
    assertEquals(TaskState.RUNNING, waiter.getState());
    EventSpecView view = waiter.getSpec().getEventSpecView();
    assertEquals("deploy-42", view.getEvent());

    Event before = events.getEvent("deploy-42", null, null);
    assertFalse(before.getSet());
    assertEquals(1, before.getWaiters());
    assertNull(before.getSetAt());
    assertNull(before.getPayload());

    Event set = events.setEvent("deploy-42", new EventSetRequest().payload(Map.of("tx", 42, "decision", "commit")));
    assertTrue(set.getSet());
    assertEquals(0, set.getWaiters());
    assertNotNull(set.getSetAt());
    assertEquals(Map.of("tx", 42, "decision", "commit"), set.getPayload());

    Task woke = tasks.getTask(waiter.getId(), null, WAIT);
    assertEquals(TaskState.SUCCEEDED, woke.getState());
    assertEquals(Map.of("tx", 42, "decision", "commit"), woke.getResult());

    Event read = events.getEvent("deploy-42", new BigDecimal("1"), null);
    assertTrue(read.getSet());
    assertEquals(set.getVersion(), read.getVersion());
    events.setEvent("other", new EventSetRequest());
    EventList list = events.listEvents(null, null);
    assertEquals(List.of("deploy-42", "other"), list.getItems().stream().map(Event::getName).collect(Collectors.toList()));
    assertNull(list.getNextCursor());
    EventList page = events.listEvents(1, null);
    assertEquals(1, page.getItems().size());
    assertNotNull(page.getNextCursor());

    events.clearEvent("other");
    assertEquals(404, assertThrows(ApiException.class, () -> events.getEvent("other", null, null)).getCode());
  }

  @Test
  void withAKeyTheGeneratedClientWorksAgainstANodeWithAuth(Vertx vertx) throws Exception {
    java.nio.file.Path dir = TestServer.freshDataDir();
    java.nio.file.Files.writeString(dir.resolve("keys.json"), new io.vertx.core.json.JsonObject().put("keys",
        new io.vertx.core.json.JsonArray().add(new io.vertx.core.json.JsonObject().put("id", "client")
            .put("hash", io.taskloop.auth.ApiKeys.hash("client-secret")).put("tenant", "acme")
            .put("scopes", new io.vertx.core.json.JsonArray().add("tasks:read").add("tasks:write")))).encode());
    // One node per Vert.x instance here: nodes on port 0 of one instance would share a port.
    server.stop();
    server = TestServer.start(vertx, config("auth", "keys", "auth_keys_file", dir.resolve("keys.json").toString(),
        "data_dir", dir.resolve("data").toString()));
    TestServer guarded = server;
    guarded.post("/v1/tasks", io.vertx.core.json.JsonObject.of("type", "sleep", "delay_ms", 0)).problem(401, null);
    ApiClient anonymous = new ApiClient().setObjectMapper(mapper).setReadTimeout(Duration.ofSeconds(TestServer.BOUND_S));
    anonymous.updateBaseUri("http://127.0.0.1:" + guarded.node.port());
    ApiException refused = assertThrows(ApiException.class, () -> new TasksApi(anonymous).createTask(sleep(0, 1), null, null, null));
    assertEquals(401, refused.getCode());
    assertEquals(401, problem(refused).getStatus());
    ApiClient keyed = new ApiClient().setObjectMapper(mapper).setReadTimeout(Duration.ofSeconds(TestServer.BOUND_S))
        .setRequestInterceptor(request -> request.header("Authorization", "Bearer client-secret"));
    keyed.updateBaseUri("http://127.0.0.1:" + guarded.node.port());
    Task done = new TasksApi(keyed).createTask(sleep(0, "with a key"), null, WAIT, null);
    assertEquals(TaskState.SUCCEEDED, done.getState());
    assertEquals("with a key", done.getResult());
    assertEquals(done.getId(), new TasksApi(keyed).getTask(done.getId(), null, null).getId());
  }

  @Test
  void anInvalidRequestIsAnApiExceptionWithTheProblem() {
    ApiException field = assertThrows(ApiException.class, () -> tasks.createTask(sleep(-1, null), null, null, null));
    assertEquals(422, field.getCode());
    assertTrue(field.getResponseHeaders().firstValue("content-type").orElse("").startsWith("application/problem+json"));
    Problem p = problem(field);
    assertEquals(422, p.getStatus());
    assertEquals("urn:taskloop:problem:invalid-field", p.getType().toString());
    assertEquals("/delay_ms", p.getPointer());
    assertEquals("/v1/tasks", p.getInstance());
    assertNull(p.getParameter());
    ProblemError first = p.getErrors().get(0);
    assertEquals("/delay_ms", first.getPointer());

    // Nested: the pointer names the inline child.
    ApiException nested = assertThrows(ApiException.class, () -> composites.gather(
        new GatherRequest().tasks(List.of(new ChildRef(sleep(0, 1)), new ChildRef(sleep(-5, 2)))), null, null));
    assertEquals("/tasks/1/delay_ms", problem(nested).getPointer());

    // A query parameter over the server's limit is named by `parameter`.
    String id = assertDoesNotThrow(() -> tasks.createTask(external(), null, null, null)).getId();
    ApiException param = assertThrows(ApiException.class, () -> tasks.getTask(id, new BigDecimal("31"), null));
    assertEquals(422, param.getCode());
    Problem q = problem(param);
    assertEquals("wait", q.getParameter());
    assertNull(q.getPointer());
    ProblemError byParameter = q.getErrors().get(0);
    assertEquals("wait", byParameter.getParameter());
  }

  @Test
  void readsTheClusterAndHealth() throws ApiException {
    Cluster c = new ClusterApi(client).getCluster();
    assertEquals(server.node.id(), c.getNode());
    assertEquals(1, c.getNodes().size());
    assertEquals(3, c.getNodes().get(0).getLoops().size());
    assertTrue(c.getNodes().get(0).getSelf());
    assertEquals(Health.StatusEnum.UP, new HealthApi(client).ready().getStatus());
    assertEquals(Health.StatusEnum.UP, new HealthApi(client).live().getStatus());
  }

  /** The problem JSON an ApiException carries, read into the generated model. */
  private Problem problem(ApiException e) {
    try {
      return mapper.readValue(e.getResponseBody(), Problem.class);
    } catch (java.io.IOException io) {
      throw new AssertionError("not a Problem: " + e.getResponseBody(), io);
    }
  }
}
