package io.taskloop.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.webjars.WebJarVersionLocator;

/**
 * The dashboard's files, read from the jar once at start and served from memory: its pages,
 * script and style under {@code ui/}, and the webjars it is built on (Alpine.js, ECharts).
 * Nothing comes from a CDN, nothing touches the file system once running, and an event loop
 * only copies bytes. Each file is kept gzipped too, for clients that take it, with an ETag.
 *
 * <p>The pages hold no data: they call the public API ({@code /v1/...}) with the caller's key,
 * so the routes here are open, like {@code /openapi.yaml}.
 */
public final class UiAssets {

  /**
   * The paths of the dashboard: one page, which reads from its path what to show (a task's id
   * from {@code /ui/tasks/:id}), so a link to any of them can be shared.
   */
  private static final String[] PAGES = {"/ui", "/ui/tasks", "/ui/tasks/:id", "/ui/events", "/ui/schedules"};

  private static final String[] OWN = {"app.js", "app.css", "favicon.svg"};

  /**
   * Scripts only from this node (Alpine evaluates its attributes, hence 'unsafe-eval'); ECharts
   * styles its elements inline; the pages talk to this origin only.
   */
  private static final String POLICY = "default-src 'self'; script-src 'self' 'unsafe-eval'; "
      + "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
      + "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

  private record Asset(String type, Buffer plain, Buffer gzipped, String etag, String cache) {
  }

  private Asset page;
  private final Map<String, Asset> files = new LinkedHashMap<>();

  private UiAssets() {
  }

  /** Reads every file from the classpath: blocking, so at start, off the event loops. */
  public static UiAssets load() {
    UiAssets ui = new UiAssets();
    ClassLoader cl = UiAssets.class.getClassLoader();
    ui.page = asset(cl, "ui/index.html", "no-cache");
    for (String file : OWN) {
      ui.files.put("assets/" + file, asset(cl, "ui/" + file, "no-cache"));
    }
    WebJarVersionLocator webjars = new WebJarVersionLocator();
    // Not versioned in the URL (a page need not know the version), so revalidated after a day.
    ui.files.put("vendor/alpine.js", asset(cl, webjar(webjars, "alpinejs", "dist/cdn.min.js"), "public, max-age=86400"));
    ui.files.put("vendor/echarts.js", asset(cl, webjar(webjars, "echarts", "dist/echarts.min.js"), "public, max-age=86400"));
    return ui;
  }

  /** Mounts the pages and files on the router. */
  void mount(Router router) {
    for (String path : PAGES) {
      router.get(path).handler(ctx -> send(ctx, page));
    }
    router.get("/ui/").handler(ctx -> ctx.redirect("/ui"));
    router.get("/ui/assets/:file").handler(ctx -> sendFile(ctx, "assets/" + ctx.pathParam("file")));
    router.get("/ui/vendor/:file").handler(ctx -> sendFile(ctx, "vendor/" + ctx.pathParam("file")));
  }

  private void sendFile(RoutingContext ctx, String name) {
    Asset asset = files.get(name);
    if (asset == null) {
      ctx.next(); // on to the 404 problem
      return;
    }
    send(ctx, asset);
  }

  private static void send(RoutingContext ctx, Asset asset) {
    var response = ctx.response()
        .putHeader("Content-Type", asset.type())
        .putHeader("Cache-Control", asset.cache())
        .putHeader("ETag", asset.etag())
        .putHeader("Vary", "Accept-Encoding")
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer");
    if (asset.type().startsWith("text/html")) {
      response.putHeader("Content-Security-Policy", POLICY);
    }
    if (asset.etag().equals(ctx.request().getHeader("If-None-Match"))) {
      response.setStatusCode(304).end();
      return;
    }
    String accepts = ctx.request().getHeader("Accept-Encoding");
    if (accepts != null && accepts.contains("gzip")) {
      response.putHeader("Content-Encoding", "gzip").end(asset.gzipped());
    } else {
      response.end(asset.plain());
    }
  }

  private static String webjar(WebJarVersionLocator webjars, String name, String file) {
    String path = webjars.fullPath(name, file);
    if (path == null) {
      throw new IllegalStateException("the webjar " + name + " with " + file + " is not on the classpath");
    }
    return path;
  }

  private static Asset asset(ClassLoader cl, String resource, String cache) {
    byte[] bytes;
    try (InputStream in = cl.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("the dashboard's " + resource + " is missing from the jar");
      }
      bytes = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Asset(type(resource), Buffer.buffer(bytes), Buffer.buffer(gzip(bytes)), etag(bytes), cache);
  }

  private static String type(String resource) {
    if (resource.endsWith(".html")) {
      return "text/html; charset=utf-8";
    } else if (resource.endsWith(".js")) {
      return "text/javascript; charset=utf-8";
    } else if (resource.endsWith(".css")) {
      return "text/css; charset=utf-8";
    } else if (resource.endsWith(".svg")) {
      return "image/svg+xml";
    }
    return "application/octet-stream";
  }

  private static byte[] gzip(byte[] bytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length / 3 + 64);
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static String etag(byte[] bytes) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
      return "\"" + HexFormat.of().formatHex(digest, 0, 12) + "\"";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
