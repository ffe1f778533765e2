package io.taskloop.bus;

import io.taskloop.loop.Addresses;
import io.taskloop.task.TaskJson;
import io.taskloop.loop.LoopCommand;
import io.taskloop.loop.LoopStats;
import io.taskloop.loop.Wire;
import io.taskloop.task.Owner;
import io.taskloop.loop.TaskFilter;
import io.taskloop.task.Problem;
import io.taskloop.task.OutboundGuard;
import io.taskloop.task.SpecDecoder;
import io.taskloop.task.Task;
import io.taskloop.task.TaskError;
import io.taskloop.task.TaskState;
import io.taskloop.task.TaskType;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The codec of messages between loops. Within a JVM it passes the object itself: commands and
 * task records are immutable, so sharing the reference is safe and nothing is serialized.
 * Between nodes it writes JSON ({@code {"k": kind, "v": value}}); only the commands that can
 * cross nodes, and their answers, have a wire form. A task record, the answer most often sent,
 * goes as the text its owner already made for its journal and its own answers
 * ({@link Task#json()}), and the other side keeps that text for its answer: the JSON object's
 * frame, built without the object on one side and not encoded again on the other. Such a frame
 * ends with a newline, which any JSON reader skips; a frame without it (from a node that encoded
 * the object, whose bytes may escape characters differently) is read the longer way, and the
 * record's text made here.
 */
public final class WireCodec implements MessageCodec<Object, Object> {

  public static final String NAME = Wire.CODEC;

  /** Tasks from another node were checked there; here their specs are only read back. */
  private final SpecDecoder decoder = new SpecDecoder(Integer.MAX_VALUE, 10_000,
      new OutboundGuard(List.of("*"), List.of()));

  /** How a frame holding one task record begins: the JSON object's encoding of {"k": "Task", "v": record}. */
  private static final byte[] TASK_FRAME = "{\"k\":\"Task\",\"v\":".getBytes(StandardCharsets.UTF_8);

  @Override
  public void encodeToWire(Buffer buffer, Object o) {
    if (o instanceof Task t) {
      // The text is written into the frame as UTF-8 at once, and the frame's length set after it.
      int start = buffer.length();
      buffer.appendInt(0).appendBytes(TASK_FRAME).appendString(t.json()).appendByte((byte) '}').appendByte((byte) '\n');
      buffer.setInt(start, buffer.length() - start - 4);
      return;
    }
    JsonFrames.write(buffer, encode(o));
  }

  @Override
  public Object decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    if (isTaskFrame(pos + 4, length, buffer)) {
      int from = pos + 4 + TASK_FRAME.length;
      return TaskJson.fromText(buffer.getString(from, pos + 4 + length - 2, "UTF-8"), decoder);
    }
    return decode(JsonFrames.read(pos, buffer));
  }

  /** A frame of one task record as {@link #encodeToWire} writes it. */
  private static boolean isTaskFrame(int at, int length, Buffer buffer) {
    if (length <= TASK_FRAME.length + 2 || buffer.getByte(at + length - 1) != '\n' || buffer.getByte(at + length - 2) != '}') {
      return false;
    }
    for (int i = 0; i < TASK_FRAME.length; i++) {
      if (buffer.getByte(at + i) != TASK_FRAME[i]) {
        return false;
      }
    }
    return true;
  }

  @Override
  public Object transform(Object o) {
    return o;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }

  // ---------------------------------------------------------------- encoding

  JsonObject encode(Object o) {
    JsonObject v = new JsonObject();
    String kind;
    if (o == null) {
      kind = "null";
    } else if (o instanceof Task t) {
      kind = "Task";
      v = TaskJson.task(t);
    } else if (o instanceof Problem p) {
      kind = "Problem";
      v = p.toWire();
    } else if (o instanceof Throwable t) {
      // Loops answer with problems only; anything else is a bug, answered as one rather than never.
      kind = "Problem";
      v = Problem.internal("the node failed on this request (" + t.getClass().getSimpleName() + "); it is logged").toWire();
    } else if (o instanceof List<?> list) {
      kind = "Tasks";
      JsonArray items = new JsonArray();
      for (Object item : list) {
        Task t = (Task) item;
        items.add(TaskJson.task(t));
      }
      v.put("items", items);
    } else if (o instanceof LoopStats s) {
      kind = "Stats";
      v.put("index", s.index()).put("address", s.address()).put("tasks_held", s.tasksHeld())
          .put("unfinished", s.unfinished()).put("created", s.created()).put("finished", s.finished())
          .put("timers_queued", s.timersQueued()).put("events", s.events()).put("waiting", s.waiting())
          .put("lateness", new JsonArray(toList(s.latenessBuckets()))).put("lateness_max_us", s.latenessMaxMicros())
          .put("recent", new JsonArray(toList(s.recentBuckets()))).put("recent_max_us", s.recentMaxMicros());
    } else if (o instanceof LoopCommand.Get c) {
      kind = "Get";
      v.put("id", c.id());
    } else if (o instanceof LoopCommand.Await c) {
      kind = "Await";
      v.put("id", c.id()).put("wait_ms", c.waitMs());
    } else if (o instanceof LoopCommand.Cancel c) {
      kind = "Cancel";
      v.put("id", c.id());
    } else if (o instanceof LoopCommand.Complete c) {
      kind = "Complete";
      v.put("id", c.id()).put("result", c.result());
    } else if (o instanceof LoopCommand.Fail c) {
      kind = "Fail";
      v.put("id", c.id()).put("error", c.error().toJson());
    } else if (o instanceof LoopCommand.Delete c) {
      kind = "Delete";
      v.put("id", c.id());
    } else if (o instanceof LoopCommand.Replay c) {
      kind = "Replay";
      v.put("id", c.id());
    } else if (o instanceof LoopCommand.Watch c) {
      kind = "Watch";
      v.put("child", c.childId()).put("node", c.parentLoop().node()).put("loop", c.parentLoop().loop())
          .put("parent", c.parentId());
    } else if (o instanceof LoopCommand.ChildDone c) {
      kind = "ChildDone";
      v.put("parent", c.parentId()).put("child", TaskJson.task(c.child()));
    } else if (o instanceof LoopCommand.CancelChild c) {
      kind = "CancelChild";
      v.put("id", c.id()).put("why", c.why());
    } else if (o instanceof LoopCommand.ListTasks c) {
      kind = "ListTasks";
      TaskFilter f = c.filter();
      v.put("state", f.state() == null ? null : f.state().wire()).put("type", f.type() == null ? null : f.type().wire())
          .put("name", f.name()).put("label_key", f.labelKey()).put("label_value", f.labelValue()).put("tenant", f.tenant())
          .put("from", c.fromSeq()).put("limit", c.limit()).put("newest", c.newest());
    } else if (o instanceof LoopCommand.Stats) {
      kind = "Stats?";
    } else if (o instanceof JsonObject json) {
      kind = "Json";
      v = json;
    } else if (o instanceof LoopCommand.ScheduleCall c) {
      kind = "ScheduleCall";
      v.put("op", c.op()).put("id", c.id()).put("body", c.body());
    } else {
      throw new IllegalArgumentException(o.getClass().getSimpleName() + " never leaves its node");
    }
    return new JsonObject().put("k", kind).put("v", v);
  }

  // ---------------------------------------------------------------- decoding

  Object decode(JsonObject json) {
    JsonObject v = json.getJsonObject("v");
    return switch (json.getString("k")) {
      case "null" -> null;
      case "Task" -> TaskJson.fromJson(v, decoder);
      case "Problem" -> Problem.fromWire(v);
      case "Tasks" -> {
        List<Task> tasks = new ArrayList<>();
        v.getJsonArray("items").forEach(item -> tasks.add(TaskJson.fromJson((JsonObject) item, decoder)));
        yield tasks;
      }
      case "Stats" -> new LoopStats(v.getInteger("index"), v.getString("address"), v.getInteger("tasks_held"),
          v.getInteger("unfinished"), v.getLong("created"), v.getLong("finished"), v.getInteger("timers_queued"),
          v.getInteger("events"), v.getInteger("waiting"), toArray(v.getJsonArray("lateness")), v.getLong("lateness_max_us"),
          toArray(v.getJsonArray("recent")), v.getLong("recent_max_us"));
      case "Json" -> v;
      case "ScheduleCall" -> new LoopCommand.ScheduleCall(v.getString("op"), v.getString("id"), v.getJsonObject("body"));
      case "Get" -> new LoopCommand.Get(v.getString("id"));
      case "Await" -> new LoopCommand.Await(v.getString("id"), v.getLong("wait_ms"));
      case "Cancel" -> new LoopCommand.Cancel(v.getString("id"));
      case "Complete" -> new LoopCommand.Complete(v.getString("id"), v.getValue("result"));
      case "Fail" -> new LoopCommand.Fail(v.getString("id"), TaskError.fromRequest(new JsonObject().put("error", v.getJsonObject("error"))));
      case "Delete" -> new LoopCommand.Delete(v.getString("id"));
      case "Replay" -> new LoopCommand.Replay(v.getString("id"));
      case "Watch" -> new LoopCommand.Watch(v.getString("child"), new Owner(v.getString("node"), v.getInteger("loop")),
          v.getString("parent"));
      case "ChildDone" -> new LoopCommand.ChildDone(v.getString("parent"), TaskJson.fromJson(v.getJsonObject("child"), decoder));
      case "CancelChild" -> new LoopCommand.CancelChild(v.getString("id"), v.getString("why"));
      case "ListTasks" -> new LoopCommand.ListTasks(new TaskFilter(
          v.getString("state") == null ? null : TaskState.fromWire(v.getString("state")),
          v.getString("type") == null ? null : TaskType.fromWire(v.getString("type")),
          v.getString("name"), v.getString("label_key"), v.getString("label_value"), v.getString("tenant")),
          v.getLong("from"), v.getInteger("limit"), v.getBoolean("newest", false));
      case "Stats?" -> new LoopCommand.Stats();
      default -> throw new IllegalArgumentException("unknown message kind " + json.getString("k"));
    };
  }

  private static List<Long> toList(long[] a) {
    List<Long> out = new ArrayList<>(a.length);
    for (long x : a) {
      out.add(x);
    }
    return out;
  }

  private static long[] toArray(JsonArray a) {
    long[] out = new long[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.getLong(i);
    }
    return out;
  }
}
