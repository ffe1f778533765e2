package io.taskloop.store;

import static io.taskloop.support.TestServer.bounded;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.taskloop.loop.TaskFilter;
import io.taskloop.task.EventView;
import io.taskloop.task.OutboundGuard;
import io.taskloop.task.Owner;
import io.taskloop.task.SpecDecoder;
import io.taskloop.task.Task;
import io.taskloop.task.TaskError;
import io.taskloop.task.TaskJson;
import io.taskloop.task.TaskSpec;
import io.taskloop.task.TaskState;
import io.taskloop.task.TaskType;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What every store promises the journal ({@link Backend}), run against each real store by a
 * subclass: SQLite in a temporary directory, PostgreSQL on a throwaway server. Tasks are built as
 * the engine builds them ({@link Task#born} and its moves); records are compared as the API shows
 * them.
 */
@ExtendWith(VertxExtension.class)
@Timeout(60)
abstract class BackendContractTest {

  static final long NOW = 1_700_000_000_000L;
  static final SpecDecoder SPECS = new SpecDecoder(1000, 32, new OutboundGuard(List.of("*"), List.of()));
  static final TaskFilter ALL = new TaskFilter(null, null, null, null, null);

  protected Backend store;

  /** An empty store of the kind under test. */
  protected abstract Future<? extends Backend> open(Vertx vertx) throws Exception;

  @BeforeEach
  void openStore(Vertx vertx) throws Exception {
    store = bounded(open(vertx));
  }

  @AfterEach
  void closeStore() {
    if (store != null) {
      store.close();
    }
  }

  // ---------------------------------------------------------------- records

  @Test
  void aCommittedRecordReadsBackAsItWasWritten() {
    Task running = born("n1", 0, 1, sleep());
    Task done = born("n1", 0, 2, sleep().put("name", "nap").put("labels", new JsonObject().put("team", "a")))
        .succeed(new JsonObject().put("n", 1).put("list", new JsonArray().add("x").add(2.5)), NOW + 5).to();
    Task failed = born("n1", 1, 3, external()).fail(new TaskError("ValueError", "bad", new JsonObject().put("k", 1)), NOW + 7)
        .to();
    commit(running, done, failed);
    assertRecord(running, read(running.id()));
    assertRecord(done, read(done.id()));
    assertRecord(failed, read(failed.id()));
    assertNull(read("n1-0-99"), "an id never written reads as null");
  }

  @Test
  void aRecordKeepsWhatJsonAllowsEvenWhereSqlTextDoesNot() {
    // U+0000 inside strings (a result, a label), characters beyond the BMP, numbers beyond a long.
    Task odd = born("n1", 0, 1, sleep().put("labels", new JsonObject().put("nul", "a\u0000b").put("team", "a")))
        .succeed(new JsonObject().put("body", "x\u0000y \uD83D\uDE00").put("big", new java.math.BigInteger("123456789012345678901234567890")),
            NOW + 1).to();
    commit(odd);
    assertRecord(odd, read(odd.id()));
    assertEquals(List.of(odd.id()), ids(list("n1", 0, label("team", "a"), 0, 10)));
    assertEquals(List.of(odd.id()), ids(list("n1", 0, label("nul", null), 0, 10)));
  }

  @Test
  void anOlderVersionNeverOverwritesANewerOneAcrossBatches() {
    Task v2 = born("n1", 0, 1, sleep());
    Task v3 = v2.succeed("x", NOW + 5).to();
    commit(v3);
    commit(v2);
    assertRecord(v3, read(v2.id()));
    assertEquals(List.of(), ids(list("n1", 0, state(TaskState.RUNNING), 0, 10)), "the stale record left no trace");
    assertTrue(bounded(store.recover("n1")).unfinished().isEmpty(), "a stale running record does not come back at start");
  }

  @Test
  void withinOneBatchTheNewestVersionIsWrittenWhateverTheOrder() {
    Task a2 = born("n1", 0, 1, sleep());
    Task a3 = a2.succeed("first", NOW + 1).to();
    Task b2 = born("n1", 0, 2, sleep());
    Task b3 = b2.cancel("stop", NOW + 2).to();
    commit(a3, a2, b2, b3);
    assertRecord(a3, read(a2.id()));
    assertRecord(b3, read(b2.id()));
  }

  @Test
  void aNewerVersionReplacesTheRecordAndItsColumns() {
    Task v2 = born("n1", 0, 1, external());
    commit(v2);
    Task v3 = v2.adoptedBy(new Owner("n2", 1)).to();
    Task v4 = v3.succeed("ok", NOW + 9).to();
    commit(v3);
    commit(v4);
    assertRecord(v4, read(v2.id()));
    assertEquals(List.of(v2.id()), ids(list("n2", 1, state(TaskState.SUCCEEDED), 0, 10)), "listed under its new owner");
    assertEquals(List.of(), ids(list("n1", 0, ALL, 0, 10)), "and no longer under the old one");
    assertEquals(1, bounded(store.expire(NOW + 9)), "its finished_at is the newest record's");
  }

  @Test
  void anAdoptionLandsThoughItsNextChangeCameInTheSameBatchAndAStaleOwnerDoesNotComeBack() {
    Task v2 = born("n1", 0, 1, external());
    commit(v2);
    Task v3 = v2.adoptedBy(new Owner("n2", 1)).to();
    Task v4 = v3.succeed("ok", NOW + 9).to();
    commit(v3, v4); // only the newest of one task in a batch is written: v4, under its new owner
    assertRecord(v4, read(v2.id()));
    assertEquals(List.of(v2.id()), ids(list("n2", 1, ALL, 0, 10)), "listed under its new owner");
    commit(v2); // the old owner's older record
    assertRecord(v4, read(v2.id()));
    assertEquals(List.of(), ids(list("n1", 0, ALL, 0, 10)), "the stale owner's record did not land");
    assertTrue(bounded(store.recover("n1")).unfinished().isEmpty(), "nor does the task come back to it at start");
  }

  @Test
  void aFailingBatchChangesNothing() {
    Task kept = born("n1", 0, 1, sleep());
    commit(kept);
    Task other = born("n1", 0, 2, sleep());
    // A key without a fingerprint breaks a NOT NULL constraint, after everything else in the batch was written.
    List<Write> batch = List.of(new Write.TaskRecord(kept.succeed("x", NOW + 1).to()), new Write.TaskRecord(other),
        new Write.EventSet(event("e", 1, "p")), new Write.IdsReserved("n1", 0, 10_000), new Write.Key("k", other.id(), null));
    assertThrows(Exception.class, () -> bounded(store.commit(batch)));
    assertRecord(kept, read(kept.id()));
    assertNull(read(other.id()));
    Recovery r = bounded(store.recover("n1"));
    assertEquals(List.of(kept.id()), ids(r.unfinished()));
    assertEquals(List.of(), r.events());
    assertEquals(Map.of(), claims(r.keys()));
    assertEquals(Map.of(), r.ids());
    commit(new Write.TaskRecord(other), new Write.Key("k", other.id(), "f"));
    assertRecord(other, read(other.id()));
    assertEquals(Map.of("k", claim(other.id(), "f")), claims(bounded(store.recover("n1")).keys()),
        "the store commits again after a failed batch");
  }

  @Test
  void taskGoneDeletesTheRecord() {
    Task t = born("n1", 0, 1, sleep());
    commit(t);
    commit(new Write.TaskGone(t.id()));
    assertNull(read(t.id()));
    commit(new Write.TaskGone("n1-0-404"));
  }

  @Test
  void writesOtherThanTaskRecordsLandInTheOrderGiven() {
    Task t = born("n1", 0, 1, sleep());
    commit(new Write.TaskRecord(t), new Write.EventSet(event("set-then-cleared", 1, null)),
        new Write.EventCleared("set-then-cleared"), new Write.EventCleared("cleared-then-set"),
        new Write.EventSet(event("cleared-then-set", 2, "p")), new Write.Key("gone", t.id(), "f"), new Write.KeyGone("gone"),
        new Write.KeyGone("back"), new Write.Key("back", t.id(), "g"));
    Recovery r = bounded(store.recover("n1"));
    assertEquals(List.of("cleared-then-set"), r.events().stream().map(EventView::name).toList());
    assertEquals(Map.of("back", claim(t.id(), "g")), claims(r.keys()));
  }

  // ---------------------------------------------------------------- list

  @Test
  void listFiltersByStateTypeNameAndLabel() {
    Task alpha = born("n1", 0, 1, sleep().put("name", "alpha").put("labels", new JsonObject().put("team", "a")));
    Task ext = born("n1", 0, 2, external().put("labels", new JsonObject().put("team", "b").put("env", "prod")));
    Task done = born("n1", 0, 3, sleep().put("name", "alpha").put("labels", new JsonObject().put("team", "b")))
        .succeed(1, NOW + 1).to();
    Task otherLoop = born("n1", 1, 4, sleep().put("name", "alpha").put("labels", new JsonObject().put("team", "a")));
    Task otherNode = born("n2", 0, 5, sleep().put("name", "alpha").put("labels", new JsonObject().put("team", "a")));
    commit(alpha, ext, done, otherLoop, otherNode);

    assertEquals(ids(alpha, ext, done), ids(list("n1", 0, ALL, 0, 10)), "only the loop's own tasks");
    assertEquals(ids(alpha, ext), ids(list("n1", 0, state(TaskState.RUNNING), 0, 10)));
    assertEquals(ids(done), ids(list("n1", 0, state(TaskState.SUCCEEDED), 0, 10)));
    assertEquals(ids(ext), ids(list("n1", 0, new TaskFilter(null, TaskType.EXTERNAL, null, null, null), 0, 10)));
    assertEquals(ids(alpha, done), ids(list("n1", 0, new TaskFilter(null, null, "alpha", null, null), 0, 10)));
    assertEquals(ids(alpha, ext, done), ids(list("n1", 0, label("team", null), 0, 10)), "a label present");
    assertEquals(ids(ext), ids(list("n1", 0, label("env", null), 0, 10)));
    assertEquals(ids(ext, done), ids(list("n1", 0, label("team", "b"), 0, 10)), "a label equal to a value");
    assertEquals(List.of(), ids(list("n1", 0, label("team", "c"), 0, 10)));
    assertEquals(List.of(), ids(list("n1", 0, label("owner", null), 0, 10)));
    assertEquals(ids(done), ids(list("n1", 0, new TaskFilter(TaskState.SUCCEEDED, TaskType.SLEEP, "alpha", "team", "b"), 0,
        10)), "filters together");
    assertEquals(List.of(), ids(list("n1", 0, new TaskFilter(TaskState.RUNNING, null, null, "team", "b' OR '1'='1"), 0, 10)),
        "a filter value is a value, not SQL");
  }

  @Test
  void listPagesInSequenceOrderAfterTheLastSeen() {
    long[] seqs = {1, 2, 9, 10, 11, 99, 100, 101, 1_000, 12_345_678_901L};
    List<Task> tasks = new ArrayList<>();
    for (long seq : seqs) {
      tasks.add(born("n1", 2, seq, sleep()));
    }
    List<Task> shuffled = new ArrayList<>(tasks);
    java.util.Collections.shuffle(shuffled, new java.util.Random(3));
    commit(shuffled.toArray(new Task[0]));

    List<Long> seen = new ArrayList<>();
    long after = 0;
    for (int page = 0; page < 10; page++) {
      List<Task> got = list("n1", 2, ALL, after, 3);
      if (got.isEmpty()) {
        break;
      }
      assertTrue(got.size() <= 3);
      got.forEach(t -> seen.add(t.seq()));
      after = got.get(got.size() - 1).seq();
    }
    assertEquals(Arrays.stream(seqs).boxed().toList(), seen, "numeric order, each once");
    assertEquals(List.of(100L, 101L), list("n1", 2, ALL, 99, 2).stream().map(Task::seq).toList());

    // Newest first: each page below the last one seen.
    List<Long> down = new ArrayList<>();
    long below = Long.MAX_VALUE;
    for (int page = 0; page < 10; page++) {
      List<Task> got = bounded(store.list("n1", 2, ALL, below, 3, true));
      if (got.isEmpty()) {
        break;
      }
      got.forEach(t -> down.add(t.seq()));
      below = got.get(got.size() - 1).seq();
    }
    List<Long> reversed = new ArrayList<>(Arrays.stream(seqs).boxed().toList());
    java.util.Collections.reverse(reversed);
    assertEquals(reversed, down, "newest first, each once");
  }

  /**
   * A tenant reads its own tasks, the tenant with no name (tenant NULL in the store, as every
   * task of a node without auth) reads those with none, and an admin reads all, in both orders.
   */
  @Test
  void listReadsEachTenantApart() {
    Task plain = born("n1", 0, 1, external());
    Task acme = bornFor("acme", "n1", 0, 2, external());
    Task beta = bornFor("beta", "n1", 0, 3, external());
    Task acmeDone = bornFor("acme", "n1", 0, 4, sleep()).succeed("x", NOW + 1).to();
    Task plainDone = born("n1", 0, 5, sleep()).succeed("y", NOW + 1).to();
    commit(plain, acme, beta, acmeDone, plainDone);
    assertEquals(ids(acme, acmeDone), ids(list("n1", 0, ALL.seenBy("acme"), 0, 10)));
    assertEquals(ids(acmeDone, acme), ids(bounded(store.list("n1", 0, ALL.seenBy("acme"), Long.MAX_VALUE, 10, true))));
    assertEquals(ids(acmeDone), ids(list("n1", 0, state(TaskState.SUCCEEDED).seenBy("acme"), 0, 10)));
    assertEquals(ids(beta), ids(list("n1", 0, ALL.seenBy("beta"), 0, 10)));
    assertEquals(ids(plain, plainDone), ids(list("n1", 0, ALL.seenBy(""), 0, 10)));
    assertEquals(ids(plain, acme, beta, acmeDone, plainDone), ids(list("n1", 0, ALL, 0, 10)));
    assertEquals(List.of(), ids(list("n1", 0, ALL.seenBy("gamma"), 0, 10)));
  }

  // ---------------------------------------------------------------- recovery

  @Test
  void recoverFindsTheNodesUnfinishedTasksTheirKeysAllEventsAndItsIds() {
    Task waiting = born("n1", 0, 1, external());
    Task finished = born("n1", 1, 2, sleep()).succeed("x", NOW + 1).to();
    Task elsewhere = born("n2", 0, 3, external());
    commit(new Write.TaskRecord(waiting), new Write.Key("k-waiting", waiting.id(), "f1"), new Write.TaskRecord(finished),
        new Write.Key("k-finished", finished.id(), "f2"), new Write.TaskRecord(elsewhere),
        new Write.Key("k-elsewhere", elsewhere.id(), "f3"), new Write.Key("k-dangling", "n1-0-404", "f4"),
        new Write.EventSet(event("ready", 3, new JsonObject().put("go", true))), new Write.EventSet(event("bare", 1, null)),
        new Write.EventSet(event("cleared", 1, 1)), new Write.EventCleared("cleared"),
        new Write.IdsReserved("n1", 0, 10_000), new Write.IdsReserved("n1", 1, 20_000), new Write.IdsReserved("n2", 0, 30_000));

    Recovery r = bounded(store.recover("n1"));
    assertEquals(List.of(waiting.id()), ids(r.unfinished()), "unfinished tasks only, of this node only");
    assertRecord(waiting, r.unfinished().get(0));
    assertEquals(Map.of("k-waiting", claim(waiting.id(), "f1"), "k-finished",
        claim(finished.id(), "f2")), claims(r.keys()), "the keys of this node's tasks that are kept");
    assertEquals(Map.of("bare", event("bare", 1, null), "ready", event("ready", 3, new JsonObject().put("go", true))),
        byName(r.events()), "every event set, whoever set it");
    assertEquals(Map.of(0, 10_000L, 1, 20_000L), r.ids());

    Recovery empty = bounded(store.recover("n9"));
    assertEquals(List.of(), empty.unfinished());
    assertEquals(Map.of(), empty.keys());
    assertEquals(Map.of(), empty.ids());
    assertEquals(2, empty.events().size());
  }

  @Test
  void anEventSetAgainReplacesItsPayloadAndVersion() {
    commit(new Write.EventSet(event("e", 1, "one")));
    commit(new Write.EventSet(event("e", 2, new JsonArray().add(2))));
    assertEquals(List.of(event("e", 2, new JsonArray().add(2))), bounded(store.recover("n1")).events());
    commit(new Write.EventCleared("e"));
    commit(new Write.EventCleared("never-set"));
    assertEquals(List.of(), bounded(store.recover("n1")).events());
  }

  @Test
  void reservingIdsKeepsTheHighestReservation() {
    commit(new Write.IdsReserved("n1", 0, 20_000));
    commit(new Write.IdsReserved("n1", 0, 10_000));
    assertEquals(Map.of(0, 20_000L), bounded(store.recover("n1")).ids());
    commit(new Write.IdsReserved("n1", 0, 40_000), new Write.IdsReserved("n1", 0, 30_000), new Write.IdsReserved("n1", 3, 5));
    assertEquals(Map.of(0, 40_000L, 3, 5L), bounded(store.recover("n1")).ids());
  }

  @Test
  void aKeyUsedAgainNamesItsNewTaskUntilItIsGone() {
    commit(new Write.TaskRecord(born("n1", 0, 1, sleep())), new Write.TaskRecord(born("n1", 0, 2, sleep())),
        new Write.Key("k", "n1-0-1", "f1"));
    commit(new Write.Key("k", "n1-0-2", "f2"));
    assertEquals(Map.of("k", claim("n1-0-2", "f2")), claims(bounded(store.recover("n1")).keys()));
    commit(new Write.KeyGone("k"));
    assertEquals(Map.of(), claims(bounded(store.recover("n1")).keys()));
  }

  // ---------------------------------------------------------------- retention

  @Test
  void expireDeletesTasksFinishedByTheCutoffAndTheirKeys() {
    Task early = born("n1", 0, 1, sleep()).succeed("x", NOW + 5).to();
    Task onCutoff = born("n1", 0, 2, sleep()).timeOut(NOW + 50).to();
    Task late = born("n2", 0, 3, sleep()).cancel("no", NOW + 100).to();
    Task running = born("n1", 0, 4, external());
    commit(new Write.TaskRecord(early), new Write.Key("k1", early.id(), "f"), new Write.TaskRecord(onCutoff),
        new Write.Key("k2", onCutoff.id(), "f"), new Write.TaskRecord(late), new Write.Key("k3", late.id(), "f"),
        new Write.TaskRecord(running), new Write.Key("k4", running.id(), "f"));

    assertEquals(2, bounded(store.expire(NOW + 50)));
    assertNull(read(early.id()));
    assertNull(read(onCutoff.id()));
    assertRecord(late, read(late.id()));
    assertRecord(running, read(running.id()));
    assertEquals(Map.of("k4", claim(running.id(), "f")), claims(bounded(store.recover("n1")).keys()));
    assertEquals(Map.of("k3", claim(late.id(), "f")), claims(bounded(store.recover("n2")).keys()));
    assertEquals(0, bounded(store.expire(NOW + 50)), "nothing left to expire by then");
    assertEquals(1, bounded(store.expire(Long.MAX_VALUE)), "a running task never expires");
  }

  // ---------------------------------------------------------------- helpers

  static JsonObject sleep() {
    return new JsonObject().put("type", "sleep").put("delay_ms", 1);
  }

  static JsonObject external() {
    return new JsonObject().put("type", "external");
  }

  static Task born(String node, int loop, long seq, JsonObject spec) {
    return born(node, loop, seq, SPECS.decode(spec));
  }

  /** A task of a named tenant, as the journal would hold it. */
  static Task bornFor(String tenant, String node, int loop, long seq, JsonObject spec) {
    return born(node, loop, seq, SPECS.decodeStored(spec.copy().put("tenant", tenant)));
  }

  private static Task born(String node, int loop, long seq, TaskSpec spec) {
    return Task.born(node + "-" + loop + "-" + seq, new Owner(node, loop), spec, null, List.of(), NOW);
  }

  static EventView event(String name, long version, Object payload) {
    return new EventView(name, true, payload, NOW + version, 0, version);
  }

  static TaskFilter state(TaskState state) {
    return new TaskFilter(state, null, null, null, null);
  }

  static TaskFilter label(String key, String value) {
    return new TaskFilter(null, null, null, key, value);
  }

  void commit(Task... tasks) {
    commit(Arrays.stream(tasks).map(t -> (Write) new Write.TaskRecord(t)).toArray(Write[]::new));
  }

  void commit(Write... writes) {
    bounded(store.commit(List.of(writes)));
  }

  Task read(String id) {
    return bounded(store.read(id));
  }

  List<Task> list(String node, int loop, TaskFilter filter, long afterSeq, int limit) {
    return bounded(store.list(node, loop, filter, afterSeq, limit, false));
  }

  static List<String> ids(List<Task> tasks) {
    return tasks.stream().map(Task::id).toList();
  }

  static List<String> ids(Task... tasks) {
    return Arrays.stream(tasks).map(Task::id).toList();
  }

  static Map<String, EventView> byName(List<EventView> events) {
    return events.stream().collect(Collectors.toMap(EventView::name, e -> e, (a, b) -> a, TreeMap::new));
  }

  /** Two records are the same when the API would show them the same. */
  static void assertRecord(Task expected, Task actual) {
    assertTrue(actual != null, "no record of " + expected.id());
    assertEquals(TaskJson.task(expected), TaskJson.task(actual));
  }

  /** A key as recovery gives it back, without when its task finished: the task and the body it came with. */
  record Claim(String taskId, String fingerprint) {
  }

  static Claim claim(String taskId, String fingerprint) {
    return new Claim(taskId, fingerprint);
  }

  static Map<String, Claim> claims(Map<String, io.taskloop.loop.Restored.Key> keys) {
    Map<String, Claim> out = new java.util.HashMap<>();
    keys.forEach((k, v) -> out.put(k, new Claim(v.taskId(), v.fingerprint())));
    return out;
  }
}
