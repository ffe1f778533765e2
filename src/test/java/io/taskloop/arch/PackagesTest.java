package io.taskloop.arch;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The packages depend one way. {@code task/} (records, specs, states, their JSON and problems)
 * depends on nothing else of taskloop's; {@code loop/}, the engine, on {@code task/} and the
 * leaves {@code config/} and {@code metrics/}; what serves the engine or feeds it
 * ({@code http/}, {@code bus/}, {@code cluster/}) on the engine and below, never on each other;
 * the wiring in {@code io.taskloop} may use anything. Every reference in the main sources is
 * read, imports and qualified names alike, and an arrow the wrong way fails with where it is.
 */
class PackagesTest {

  private static final Path MAIN = Path.of(System.getProperty("basedir", "."), "src/main/java/io/taskloop");
  private static final Pattern REFERENCE = Pattern.compile("\\bio\\.taskloop\\.([a-z]+)\\.");

  /** For each package, the packages of taskloop's it may use. The root ("") is the wiring. */
  private static final Map<String, Set<String>> ALLOWED = Map.of(
      "task", Set.of(),
      "config", Set.of(),
      "auth", Set.of("task", "config"),
      "metrics", Set.of("task"),
      "schedule", Set.of("task"),
      "loop", Set.of("task", "config", "metrics", "schedule"),
      "http", Set.of("loop", "task", "config", "metrics", "schedule", "auth"),
      "bus", Set.of("loop", "task", "config", "metrics", "schedule", "auth"),
      "cluster", Set.of("loop", "task", "config", "metrics", "schedule"),
      "store", Set.of("loop", "task", "config", "metrics"));

  @Test
  void packagesDependOneWay() throws IOException {
    List<String> wrong = new ArrayList<>();
    Set<String> seen = new TreeSet<>();
    try (Stream<Path> files = Files.walk(MAIN)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        Path dir = MAIN.relativize(file).getParent();
        String pkg = dir == null ? "" : dir.toString().replace('/', '.');
        seen.add(pkg);
        if (pkg.isEmpty()) {
          continue; // the wiring
        }
        Set<String> allowed = ALLOWED.get(pkg);
        assertTrue(allowed != null, "package " + pkg + " has no place in PackagesTest.ALLOWED: say what it may use");
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
          Matcher m = REFERENCE.matcher(lines.get(i));
          while (m.find()) {
            String used = m.group(1);
            if (!used.equals(pkg) && !allowed.contains(used)) {
              wrong.add(MAIN.relativize(file) + ":" + (i + 1) + " " + pkg + " -> " + used + ": " + lines.get(i).trim());
            }
          }
        }
      }
    }
    assertTrue(seen.containsAll(ALLOWED.keySet()), "every package listed exists: " + seen);
    assertTrue(wrong.isEmpty(), "arrows the wrong way:\n" + String.join("\n", wrong));
  }
}
