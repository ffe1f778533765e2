package io.taskloop.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.taskloop.config.Config;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * Checks what can drift between the Dockerfile, the Kubernetes manifests in {@code k8s/} and the
 * code: ports, probe paths, {@code TASKLOOP_*} names, the mounted config, the Hazelcast DNS name,
 * the image name, label selectors and the JVM flags. It reads the files as text and YAML; it
 * cannot build the image or talk to a cluster (docs/kubernetes.md says what those need).
 */
class ManifestsTest {

  private static final Path ROOT = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize();
  private static final Path K8S = ROOT.resolve("k8s");
  /** Manifests in k8s/ that kustomization.yaml leaves out on purpose. */
  private static final Set<String> OPTIONAL = Set.of("hpa.yaml", "postgres-secret.example.yaml", "keys-secret.example.yaml");
  /** Environment names that are not config keys but are read by the node all the same. */
  private static final Set<String> NOT_KEYS = Set.of("TASKLOOP_CONFIG");
  /** Stand-ins for the downward API's values, to expand $(VAR) references as the kubelet would. */
  private static final Map<String, String> FIELD_SAMPLES = Map.of(
      "metadata.namespace", "some-namespace",
      "metadata.name", "taskloop-0",
      "status.podIP", "10.1.2.3");

  private static Map<String, Object> kustomization;
  /** Every object of every manifest (kustomization resources and optional ones), in file order. */
  private static final List<Map<String, Object>> objects = new ArrayList<>();
  private static Dockerfile dockerfile;

  @BeforeAll
  static void load() throws IOException {
    kustomization = map(new Yaml().load(Files.readString(K8S.resolve("kustomization.yaml"))), "kustomization.yaml");
    try (Stream<Path> files = Files.list(K8S)) {
      for (Path file : files.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList()) {
        if (file.getFileName().toString().equals("kustomization.yaml")) {
          continue;
        }
        for (Object doc : new Yaml().loadAll(Files.readString(file))) {
          if (doc != null) {
            objects.add(map(doc, file.getFileName().toString()));
          }
        }
      }
    }
    dockerfile = Dockerfile.parse(Files.readString(ROOT.resolve("Dockerfile")));
  }

  // ---------------------------------------------------------------- the files themselves

  @Test
  void everyManifestParsesAndKustomizationListsThemAll() throws IOException {
    List<String> resources = strings(kustomization.get("resources"));
    assertFalse(resources.isEmpty(), "kustomization.yaml has no resources");
    Set<String> manifestFiles;
    try (Stream<Path> files = Files.list(K8S)) {
      manifestFiles = files.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".yaml") || n.endsWith(".yml"))
          .filter(n -> !n.equals("kustomization.yaml"))
          .collect(Collectors.toCollection(TreeSet::new));
    }
    for (String resource : resources) {
      assertTrue(manifestFiles.contains(resource), "kustomization.yaml lists " + resource + ", which is not in k8s/");
    }
    for (String file : manifestFiles) {
      assertTrue(resources.contains(file) || OPTIONAL.contains(file),
          "k8s/" + file + " is neither in kustomization.yaml's resources nor known to be optional");
    }
    for (Map<String, Object> object : objects) {
      assertNotNull(object.get("apiVersion"), "an object without apiVersion: " + object);
      assertNotNull(object.get("kind"), "an object without kind: " + object);
      assertNotNull(at(object, "metadata", "name"), "an object without metadata.name: " + object);
    }
    for (Map<String, Object> generator : maps(kustomization.get("configMapGenerator"))) {
      for (String file : strings(generator.get("files"))) {
        assertTrue(Files.isRegularFile(K8S.resolve(file)), "configMapGenerator names a missing file " + file);
      }
    }
  }

  // ---------------------------------------------------------------- ports

  @Test
  void portsAgreeAcrossContainerServicesConfigAndDockerfile() {
    Map<String, Integer> containerPorts = containerPorts();
    assertEquals(Set.of("http", "hazelcast", "bus"), containerPorts.keySet(), "container ports by name");

    Config config = nodeConfig();
    assertEquals(config.httpPort(), containerPorts.get("http"), "http_port (config + env) vs the container port 'http'");
    assertEquals(config.clusterPort(), containerPorts.get("hazelcast"),
        "cluster_port (config + env) vs the container port 'hazelcast'");
    assertEquals(config.clusterBusPort(), containerPorts.get("bus"),
        "cluster_bus_port (config + env) vs the container port 'bus'");

    for (Map<String, Object> service : ofKind("Service")) {
      for (Map<String, Object> port : maps(at(service, "spec", "ports"))) {
        Object target = port.getOrDefault("targetPort", port.get("port"));
        int resolved = target instanceof Number n ? n.intValue() : containerPorts.getOrDefault(String.valueOf(target), -1);
        assertTrue(containerPorts.containsValue(resolved),
            "Service " + name(service) + " port " + port + " targets no container port of " + containerPorts);
      }
    }
    Map<String, Object> headless = headlessService();
    assertEquals(List.of(config.clusterPort()),
        maps(at(headless, "spec", "ports")).stream().map(p -> ((Number) p.get("port")).intValue()).toList(),
        "the headless service serves the Hazelcast port");

    assertEquals(new TreeSet<>(containerPorts.values()), new TreeSet<>(dockerfile.exposedPorts()),
        "the Dockerfile's EXPOSE vs the StatefulSet's container ports");
  }

  // ---------------------------------------------------------------- probes

  @Test
  void probesHitRoutesThatExist() throws IOException {
    String httpApi = Files.readString(ROOT.resolve("src/main/java/io/taskloop/http/HttpApi.java"));
    Map<String, Object> container = container();
    Map<String, Integer> ports = containerPorts();
    Map<String, String> expected = Map.of(
        "startupProbe", "/health/live",
        "livenessProbe", "/health/live",
        "readinessProbe", "/health/ready");
    for (Map.Entry<String, String> probe : expected.entrySet()) {
      Object httpGet = at(container, probe.getKey(), "httpGet");
      assertNotNull(httpGet, "the container has no " + probe.getKey() + " httpGet");
      String path = String.valueOf(at(container, probe.getKey(), "httpGet", "path"));
      assertEquals(probe.getValue(), path, probe.getKey() + " path");
      assertTrue(httpApi.contains("router.get(\"" + path + "\")"), probe.getKey() + " path " + path + " is no GET route of HttpApi");
      Object port = at(container, probe.getKey(), "httpGet", "port");
      assertTrue(port instanceof Number n ? n.intValue() == ports.get("http") : "http".equals(port),
          probe.getKey() + " must probe the HTTP port, not " + port);
    }
  }

  // ---------------------------------------------------------------- environment and config

  @Test
  void everyTaskloopEnvironmentNameIsAConfigKey() {
    Set<String> known = Config.DEFAULTS.keySet().stream().map(Config::envName).collect(Collectors.toSet());
    Set<String> names = new LinkedHashSet<>(dockerfile.env().keySet());
    maps(container().get("env")).forEach(e -> names.add(String.valueOf(e.get("name"))));
    for (String name : names) {
      if (name.startsWith("TASKLOOP_")) {
        assertTrue(known.contains(name) || NOT_KEYS.contains(name),
            name + " (Dockerfile or statefulset.yaml) is Config.envName of no key of Config.DEFAULTS");
      }
    }
    assertTrue(names.contains(Config.envName("cluster_mode")), "the StatefulSet sets the cluster mode");
  }

  @Test
  void theMountedConfigHasOnlyKnownKeysAndLoadsWithTheManifestEnvironment() throws IOException {
    JsonObject file = configJson();
    for (String key : file.fieldNames()) {
      assertTrue(Config.DEFAULTS.containsKey(key), "config.json key '" + key + "' is not in Config.DEFAULTS");
    }
    Config config = nodeConfig();
    assertEquals("kubernetes", config.clusterMode());
    assertEquals("0.0.0.0", config.httpHost(), "a node in a pod must listen beyond loopback");
    assertFalse(config.clusterHost().startsWith("127."), "the cluster address must be reachable from other pods");
    if (Set.of("0.0.0.0", "::", "").contains(config.clusterHost())) {
      assertEquals(FIELD_SAMPLES.get("status.podIP"), config.toJson().getString("cluster_public_host"),
          "with a wildcard cluster_host, members must announce the pod's IP (cluster_public_host)");
    }

    // TASKLOOP_CONFIG points at the generated ConfigMap's file where it is mounted.
    Map<String, String> env = containerEnv();
    Path configPath = Path.of(env.get("TASKLOOP_CONFIG"));
    String generated = String.valueOf(configMapGenerator().get("name"));
    Map<String, Object> volume = maps(at(podSpec(), "volumes")).stream()
        .filter(v -> generated.equals(at(v, "configMap", "name"))).findFirst()
        .orElseThrow(() -> new AssertionError("no volume of the ConfigMap " + generated));
    Map<String, Object> mount = maps(container().get("volumeMounts")).stream()
        .filter(m -> volume.get("name").equals(m.get("name"))).findFirst()
        .orElseThrow(() -> new AssertionError("the ConfigMap volume is not mounted"));
    assertEquals(Path.of(String.valueOf(mount.get("mountPath"))), configPath.getParent(), "TASKLOOP_CONFIG's folder");
    assertTrue(strings(configMapGenerator().get("files")).contains(configPath.getFileName().toString()),
        "TASKLOOP_CONFIG names a file the ConfigMap does not hold");
  }

  // ---------------------------------------------------------------- clustering

  @Test
  void theServiceDnsNameIsTheHeadlessServiceInThePodsNamespace() {
    Map<String, Object> headless = headlessService();
    String service = name(headless);
    assertEquals(Boolean.TRUE, at(headless, "spec", "publishNotReadyAddresses"),
        "members must find each other before they are ready");
    assertEquals(service, at(statefulSet(), "spec", "serviceName"), "the StatefulSet's governing service");
    String dns = containerEnv().get(Config.envName("cluster_service_dns"));
    assertNotNull(dns, "the StatefulSet does not set " + Config.envName("cluster_service_dns"));
    assertTrue(dns.startsWith(service + "."), dns + " does not name the headless service " + service);
    assertEquals(service + "." + FIELD_SAMPLES.get("metadata.namespace") + ".svc.cluster.local", dns,
        "the DNS name must follow the pod's namespace");
  }

  // ---------------------------------------------------------------- image, labels

  @Test
  void theImageNameIsTheOneKustomizationSets() {
    String image = String.valueOf(container().get("image"));
    String imageName = image.replaceFirst("@.*$", "").replaceFirst(":[^:/]+$", "");
    List<String> names = maps(kustomization.get("images")).stream().map(i -> String.valueOf(i.get("name"))).toList();
    assertTrue(names.contains(imageName), "kustomization.yaml images " + names + " do not set the StatefulSet's image " + image);
  }

  @Test
  void selectorsMatchThePodLabels() {
    Map<String, Object> podLabels = map(at(statefulSet(), "spec", "template", "metadata", "labels"), "pod labels");
    assertSubset(map(at(statefulSet(), "spec", "selector", "matchLabels"), "selector"), podLabels, "StatefulSet selector");
    for (Map<String, Object> service : ofKind("Service")) {
      assertSubset(map(at(service, "spec", "selector"), "selector"), podLabels, "Service " + name(service) + " selector");
    }
    for (Map<String, Object> pdb : ofKind("PodDisruptionBudget")) {
      assertSubset(map(at(pdb, "spec", "selector", "matchLabels"), "selector"), podLabels, "PDB " + name(pdb) + " selector");
    }
    for (Map<String, Object> term : maps(at(podSpec(), "affinity", "podAntiAffinity",
        "preferredDuringSchedulingIgnoredDuringExecution"))) {
      assertSubset(map(at(term, "podAffinityTerm", "labelSelector", "matchLabels"), "selector"), podLabels, "anti-affinity");
    }
    for (Map<String, Object> hpa : ofKind("HorizontalPodAutoscaler")) {
      assertEquals("StatefulSet", at(hpa, "spec", "scaleTargetRef", "kind"));
      assertEquals(name(statefulSet()), at(hpa, "spec", "scaleTargetRef", "name"), "the HPA scales the StatefulSet");
    }
  }

  // ---------------------------------------------------------------- who may reach what

  @Test
  void onlyTaskloopPodsReachTheClusterPortsAndKeysComeFromASecret() {
    Map<String, Object> podLabels = map(at(statefulSet(), "spec", "template", "metadata", "labels"), "pod labels");
    List<Map<String, Object>> policies = ofKind("NetworkPolicy");
    assertEquals(1, policies.size(), "one NetworkPolicy");
    Map<String, Object> policy = policies.get(0);
    assertSubset(map(at(policy, "spec", "podSelector", "matchLabels"), "podSelector"), podLabels, "the policy's pods");
    assertEquals(List.of("Ingress"), strings(at(policy, "spec", "policyTypes")));
    Set<String> clusterPorts = Set.of("hazelcast", "bus");
    boolean admitted = false;
    for (Map<String, Object> rule : maps(at(policy, "spec", "ingress"))) {
      Set<String> ports = new TreeSet<>();
      maps(rule.get("ports")).forEach(p -> ports.add(String.valueOf(p.get("port"))));
      assertTrue(containerPorts().keySet().containsAll(ports), "the policy names container ports: " + ports);
      if (ports.stream().anyMatch(clusterPorts::contains)) {
        List<Map<String, Object>> from = maps(rule.get("from"));
        assertTrue(!from.isEmpty(), "a rule that opens the cluster's ports says from whom");
        for (Map<String, Object> peer : from) {
          assertEquals(Set.of("podSelector"), peer.keySet(), "only pods, of this namespace: " + peer);
          assertSubset(map(at(peer, "podSelector", "matchLabels"), "from"), podLabels, "the peers are taskloop pods");
        }
        admitted |= ports.containsAll(clusterPorts);
      }
    }
    assertTrue(admitted, "taskloop pods reach each other's Hazelcast and bus ports");

    Map<String, String> env = containerEnv();
    assertEquals("keys", env.get(Config.envName("auth")), "the pods ask for API keys");
    String keysFile = env.get(Config.envName("auth_keys_file"));
    Map<String, Object> mount = maps(container().get("volumeMounts")).stream()
        .filter(m -> keysFile.startsWith(m.get("mountPath") + "/")).findFirst()
        .orElseThrow(() -> new AssertionError(keysFile + " is under no mount"));
    assertEquals(Boolean.TRUE, mount.get("readOnly"));
    Map<String, Object> volume = maps(at(podSpec(), "volumes")).stream().filter(v -> mount.get("name").equals(v.get("name")))
        .findFirst().orElseThrow();
    assertEquals("taskloop-keys", at(volume, "secret", "secretName"), "the keys come from a Secret");
  }

  // ---------------------------------------------------------------- pod safety and shutdown

  @Test
  void podsRunAsNonRootOnAReadOnlyRootWithAWritableTmp() {
    assertEquals(Boolean.TRUE, at(podSpec(), "securityContext", "runAsNonRoot"));
    assertEquals(Boolean.TRUE, at(container(), "securityContext", "readOnlyRootFilesystem"));
    assertEquals(Boolean.FALSE, at(container(), "securityContext", "allowPrivilegeEscalation"));
    String tmpVolume = maps(container().get("volumeMounts")).stream()
        .filter(m -> "/tmp".equals(m.get("mountPath"))).map(m -> String.valueOf(m.get("name"))).findFirst()
        .orElseThrow(() -> new AssertionError("nothing is mounted at /tmp"));
    assertTrue(maps(at(podSpec(), "volumes")).stream().anyMatch(v -> tmpVolume.equals(v.get("name")) && v.containsKey("emptyDir")),
        "/tmp must be an emptyDir");
    Object runAsUser = at(podSpec(), "securityContext", "runAsUser");
    assertEquals(dockerfile.user().split(":")[0], String.valueOf(runAsUser), "the pod's runAsUser vs the Dockerfile's USER");
    assertEquals(Boolean.FALSE, podSpec().get("enableServiceLinks"),
        "service-link variables (<SERVICE>_PORT=tcp://...) could collide with TASKLOOP_<KEY> settings");
  }

  @Test
  void shutdownHasTimeForThePreStopPauseAndTheHandOver() {
    int grace = ((Number) podSpec().get("terminationGracePeriodSeconds")).intValue();
    List<String> preStop = strings(at(container(), "lifecycle", "preStop", "exec", "command"));
    assertEquals("sleep", preStop.get(0), "preStop is a sleep");
    int pause = Integer.parseInt(preStop.get(1));
    assertTrue(pause >= 5, "a preStop pause under 5 s leaves endpoints no time to update");
    assertTrue(grace >= pause + 30, "terminationGracePeriodSeconds " + grace + " leaves under 30 s for the hand-over after a "
        + pause + " s preStop");
    assertEquals("RollingUpdate", at(statefulSet(), "spec", "updateStrategy", "type"));
    assertEquals(1, ((Number) at(ofKind("PodDisruptionBudget").get(0), "spec", "maxUnavailable")).intValue());
  }

  // ---------------------------------------------------------------- Dockerfile

  @Test
  void theDockerfileRunsTheFatJarWithHazelcastsFlagsAsANonRootUser() throws IOException {
    for (String image : dockerfile.fromImages()) {
      String withoutDigest = image.replaceFirst("@.*$", "");
      assertTrue(image.contains("@") || withoutDigest.substring(withoutDigest.lastIndexOf('/') + 1).contains(":"),
          "FROM " + image + " (ARG defaults substituted) names no tag");
    }
    List<String> entrypoint = dockerfile.entrypoint();
    assertEquals("java", entrypoint.get(0), "exec-form ENTRYPOINT starting java");
    String joined = String.join(" ", entrypoint);
    String pom = Files.readString(ROOT.resolve("pom.xml"));
    Matcher flags = Pattern.compile("<hazelcast.jvm.flags>(.*?)</hazelcast.jvm.flags>", Pattern.DOTALL).matcher(pom);
    assertTrue(flags.find(), "pom.xml has no hazelcast.jvm.flags property");
    String[] tokens = flags.group(1).trim().split("\\s+");
    for (int i = 0; i + 1 < tokens.length; i += 2) {
      String flag = tokens[i] + " " + tokens[i + 1];
      assertTrue(joined.contains(flag), "the ENTRYPOINT lacks pom.xml's Hazelcast flag " + flag);
    }
    assertTrue(entrypoint.contains("-Dhazelcast.phone.home.enabled=false"));
    int jar = entrypoint.indexOf("-jar");
    assertTrue(jar > 0 && entrypoint.get(jar + 1).endsWith("/taskloop.jar"), "java -jar .../taskloop.jar");
    assertTrue(pom.contains("<finalName>taskloop</finalName>"), "the jar the Dockerfile copies is target/taskloop.jar");

    String user = dockerfile.user();
    assertFalse(user.isEmpty() || user.startsWith("root") || user.startsWith("0:") || user.equals("0"), "USER " + user);
    assertTrue(user.split(":")[0].matches("\\d+"), "a numeric USER, so runAsNonRoot can verify it");
    assertTrue(dockerfile.env().getOrDefault("JDK_JAVA_OPTIONS", "").contains("MaxRAMPercentage"),
        "container-aware heap sizing in JDK_JAVA_OPTIONS");
    assertEquals("0.0.0.0", dockerfile.env().get(Config.envName("http_host")));
    assertEquals("0.0.0.0", dockerfile.env().get(Config.envName("cluster_host")));
    assertTrue(dockerfile.env().get("JDK_JAVA_OPTIONS").contains("-XX:+UseZGC"), "ZGC keeps timer lateness low");
  }

  @Test
  void theDataDirIsAVolumeTheServicesUserOwns() {
    String dataDir = dockerfile.env().get(Config.envName("data_dir"));
    assertNotNull(dataDir, "the Dockerfile sets no " + Config.envName("data_dir"));
    assertTrue(dockerfile.volumes().contains(dataDir), "data_dir " + dataDir + " is not a VOLUME: " + dockerfile.volumes());
    String owner = dockerfile.user();
    assertTrue(dockerfile.instructions().stream().anyMatch(i -> i[0].equals("COPY") && i[1].contains("--chown=" + owner)),
        "no COPY --chown=" + owner + " makes " + dataDir + " the service's own");
  }

  @Test
  void theDockerignoreLetsInWhatTheDockerfileCopies() throws IOException {
    List<String> ignore = Files.readAllLines(ROOT.resolve(".dockerignore")).stream()
        .map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    boolean allowList = ignore.contains("*");
    for (String source : dockerfile.copySources()) {
      String clean = source.replaceFirst("^\\./", "").replaceFirst("/$", "");
      assertTrue(Files.exists(ROOT.resolve(clean)), "the Dockerfile copies " + source + ", which does not exist");
      if (allowList) {
        assertTrue(ignore.contains("!" + clean) || ignore.contains("!" + clean + "/"),
            ".dockerignore starts from '*' but does not let in " + clean);
      } else {
        assertFalse(ignore.contains(clean) || ignore.contains(clean + "/"), ".dockerignore leaves out " + clean);
      }
    }
  }

  // ---------------------------------------------------------------- helpers: the objects

  private static List<Map<String, Object>> ofKind(String kind) {
    return objects.stream().filter(o -> kind.equals(o.get("kind"))).toList();
  }

  private static Map<String, Object> statefulSet() {
    List<Map<String, Object>> sets = ofKind("StatefulSet");
    assertEquals(1, sets.size(), "one StatefulSet");
    return sets.get(0);
  }

  private static Map<String, Object> podSpec() {
    return map(at(statefulSet(), "spec", "template", "spec"), "pod spec");
  }

  private static Map<String, Object> container() {
    List<Map<String, Object>> containers = maps(podSpec().get("containers"));
    assertEquals(1, containers.size(), "one container");
    return containers.get(0);
  }

  private static Map<String, Integer> containerPorts() {
    Map<String, Integer> ports = new LinkedHashMap<>();
    for (Map<String, Object> port : maps(container().get("ports"))) {
      ports.put(String.valueOf(port.get("name")), ((Number) port.get("containerPort")).intValue());
    }
    return ports;
  }

  private static Map<String, Object> headlessService() {
    List<Map<String, Object>> headless = ofKind("Service").stream()
        .filter(s -> "None".equals(at(s, "spec", "clusterIP"))).toList();
    assertEquals(1, headless.size(), "one headless Service");
    return headless.get(0);
  }

  private static Map<String, Object> configMapGenerator() {
    List<Map<String, Object>> generators = maps(kustomization.get("configMapGenerator"));
    assertEquals(1, generators.size(), "one configMapGenerator");
    return generators.get(0);
  }

  private static JsonObject configJson() {
    List<String> files = strings(configMapGenerator().get("files"));
    assertEquals(1, files.size(), "the ConfigMap holds one file");
    try {
      return new JsonObject(Files.readString(K8S.resolve(files.get(0))));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** The container's environment as the kubelet would set it: literal values, $(VAR) expanded, downward API samples. */
  private static Map<String, String> containerEnv() {
    Map<String, String> env = new LinkedHashMap<>();
    for (Map<String, Object> e : maps(container().get("env"))) {
      String name = String.valueOf(e.get("name"));
      Object fieldPath = at(e, "valueFrom", "fieldRef", "fieldPath");
      String value;
      if (fieldPath != null) {
        value = FIELD_SAMPLES.get(String.valueOf(fieldPath));
        assertNotNull(value, "no sample for the downward API field " + fieldPath);
      } else {
        assertTrue(e.containsKey("value"), "env " + name + " has neither a value nor a fieldRef");
        value = expand(String.valueOf(e.get("value")), env);
      }
      env.put(name, value);
    }
    return env;
  }

  private static String expand(String value, Map<String, String> defined) {
    Matcher m = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)").matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String ref = defined.get(m.group(1));
      if (ref == null) {
        fail("$(" + m.group(1) + ") in '" + value + "' refers to no variable defined before it");
      }
      m.appendReplacement(out, Matcher.quoteReplacement(ref));
    }
    return m.appendTail(out).toString();
  }

  /** The node's config in the pod: the image's ENV, overridden by the StatefulSet's env, over config.json. */
  private static Config nodeConfig() {
    Map<String, String> env = new LinkedHashMap<>(dockerfile.env());
    env.putAll(containerEnv());
    return Config.from(configJson(), env);
  }

  // ---------------------------------------------------------------- helpers: plain YAML trees

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o, String what) {
    if (!(o instanceof Map<?, ?>)) {
      throw new AssertionError(what + " is not a mapping: " + o);
    }
    return (Map<String, Object>) o;
  }

  private static List<Map<String, Object>> maps(Object o) {
    if (o == null) {
      return List.of();
    }
    if (!(o instanceof List<?> list)) {
      throw new AssertionError("not a list: " + o);
    }
    return list.stream().map(x -> map(x, "list item")).toList();
  }

  private static List<String> strings(Object o) {
    if (o == null) {
      return List.of();
    }
    if (!(o instanceof List<?> list)) {
      throw new AssertionError("not a list: " + o);
    }
    return list.stream().map(String::valueOf).toList();
  }

  private static Object at(Object root, String... path) {
    Object here = root;
    for (String key : path) {
      if (!(here instanceof Map<?, ?> m)) {
        return null;
      }
      here = m.get(key);
    }
    return here;
  }

  private static String name(Map<String, Object> object) {
    return String.valueOf(at(object, "metadata", "name"));
  }

  private static void assertSubset(Map<String, Object> selector, Map<String, Object> labels, String what) {
    assertFalse(selector.isEmpty(), what + " is empty");
    for (Map.Entry<String, Object> e : selector.entrySet()) {
      assertEquals(e.getValue(), labels.get(e.getKey()), what + " " + e.getKey() + " vs the pod labels " + labels);
    }
  }

  // ---------------------------------------------------------------- helpers: the Dockerfile

  /** Just enough of a Dockerfile reader for these checks: continuation lines, ARG defaults, ENV, FROM, COPY, USER, ENTRYPOINT. */
  private record Dockerfile(List<String[]> instructions) {

    static Dockerfile parse(String text) {
      List<String[]> out = new ArrayList<>();
      StringBuilder current = new StringBuilder();
      for (String line : text.split("\n", -1)) {
        String trimmed = line.strip();
        if (trimmed.startsWith("#") || (trimmed.isEmpty() && current.length() == 0)) {
          continue;
        }
        if (trimmed.endsWith("\\")) {
          current.append(trimmed, 0, trimmed.length() - 1).append(' ');
          continue;
        }
        current.append(trimmed);
        String instruction = current.toString().strip();
        current.setLength(0);
        if (!instruction.isEmpty()) {
          String[] parts = instruction.split("\\s+", 2);
          out.add(new String[] {parts[0].toUpperCase(java.util.Locale.ROOT), parts.length > 1 ? parts[1] : ""});
        }
      }
      return new Dockerfile(out);
    }

    private List<String> all(String keyword) {
      return instructions.stream().filter(i -> i[0].equals(keyword)).map(i -> i[1]).toList();
    }

    /** Every FROM's image with the ARG defaults substituted (stage names excluded). */
    List<String> fromImages() {
      Map<String, String> args = new LinkedHashMap<>();
      Set<String> stages = new LinkedHashSet<>();
      List<String> images = new ArrayList<>();
      for (String[] i : instructions) {
        if (i[0].equals("ARG") && i[1].contains("=")) {
          String[] kv = i[1].split("=", 2);
          args.putIfAbsent(kv[0].strip(), unquote(kv[1].strip()));
        } else if (i[0].equals("FROM")) {
          String[] words = i[1].replaceAll("--platform=\\S+\\s*", "").split("\\s+");
          String image = words[0];
          for (Map.Entry<String, String> a : args.entrySet()) {
            image = image.replace("${" + a.getKey() + "}", a.getValue()).replace("$" + a.getKey(), a.getValue());
          }
          assertFalse(image.contains("$"), "FROM " + words[0] + " uses an ARG without a default");
          if (!stages.contains(image)) {
            images.add(image);
          }
          if (words.length == 3 && words[1].equalsIgnoreCase("AS")) {
            stages.add(words[2]);
          }
        }
      }
      return images;
    }

    Map<String, String> env() {
      Map<String, String> env = new LinkedHashMap<>();
      for (String body : all("ENV")) {
        List<String> words = words(body);
        if (!words.isEmpty() && !words.get(0).contains("=")) {
          env.put(words.get(0), body.substring(body.indexOf(words.get(0)) + words.get(0).length()).strip());
          continue;
        }
        for (String word : words) {
          String[] kv = word.split("=", 2);
          env.put(kv[0], kv.length > 1 ? kv[1] : "");
        }
      }
      return env;
    }

    /** VOLUME paths, in JSON or plain form. */
    List<String> volumes() {
      List<String> volumes = new ArrayList<>();
      for (String body : all("VOLUME")) {
        for (String word : body.replaceAll("[\\[\\],\"]", " ").trim().split("\\s+")) {
          volumes.add(word);
        }
      }
      return volumes;
    }

    List<Integer> exposedPorts() {
      List<Integer> ports = new ArrayList<>();
      for (String body : all("EXPOSE")) {
        for (String word : body.split("\\s+")) {
          ports.add(Integer.parseInt(word.replaceFirst("/(tcp|udp)$", "")));
        }
      }
      return ports;
    }

    String user() {
      List<String> users = all("USER");
      assertFalse(users.isEmpty(), "the Dockerfile sets no USER");
      return users.get(users.size() - 1).strip();
    }

    List<String> entrypoint() {
      List<String> entrypoints = all("ENTRYPOINT");
      assertEquals(1, entrypoints.size(), "one ENTRYPOINT");
      JsonObject wrapped = new JsonObject("{\"e\":" + entrypoints.get(0) + "}");
      return wrapped.getJsonArray("e").stream().map(String::valueOf).toList();
    }

    /** Sources of COPY/ADD from the build context (not --from another stage). */
    List<String> copySources() {
      List<String> sources = new ArrayList<>();
      for (String[] i : instructions) {
        if ((i[0].equals("COPY") || i[0].equals("ADD")) && !i[1].contains("--from")) {
          List<String> words = new ArrayList<>(words(i[1]));
          words.removeIf(w -> w.startsWith("--"));
          sources.addAll(words.subList(0, words.size() - 1));
        }
      }
      return sources;
    }

    /** Splits on blanks outside double quotes and drops the quotes. */
    private static List<String> words(String s) {
      List<String> out = new ArrayList<>();
      StringBuilder word = new StringBuilder();
      boolean quoted = false;
      for (char c : s.toCharArray()) {
        if (c == '"') {
          quoted = !quoted;
        } else if (Character.isWhitespace(c) && !quoted) {
          if (word.length() > 0) {
            out.add(word.toString());
            word.setLength(0);
          }
        } else {
          word.append(c);
        }
      }
      if (word.length() > 0) {
        out.add(word.toString());
      }
      return out;
    }

    private static String unquote(String s) {
      return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"") ? s.substring(1, s.length() - 1) : s;
    }
  }
}
