package io.taskloop.support;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A real headless Chromium (Debian's {@code chromium} driven by its {@code chromium-driver}) for
 * the dashboard's tests: pages are opened on a node's loopback port, waited on with a bound, their
 * console read back, and screenshots written under {@code target/ui-screenshots/}. Without the two
 * binaries the tests fail and say what to install ({@code .ci/run} installs them).
 */
public final class Browser implements AutoCloseable {

  public static final Path SHOTS = Path.of("target", "ui-screenshots");
  private static final String CHROMIUM = "/usr/bin/chromium";
  private static final String DRIVER = "/usr/bin/chromedriver";

  public final ChromeDriver driver;
  private final String base;

  private Browser(ChromeDriver driver, String base) {
    this.driver = driver;
    this.base = base;
  }

  /** A fresh browser (its own profile, so its own sessionStorage) for the node at {@code port}. */
  public static Browser open(int port) {
    if (!new File(CHROMIUM).canExecute() || !new File(DRIVER).canExecute()) {
      throw new AssertionError("the dashboard's tests need Debian's chromium and chromium-driver: "
          + "apt-get install -y chromium chromium-driver");
    }
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--window-size=1400,900", "--no-first-run", "--disable-extensions", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--metrics-recording-only", "--no-default-browser-check");
    options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(DRIVER))
        .usingAnyFreePort().build();
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(20)).scriptTimeout(Duration.ofSeconds(20));
    return new Browser(driver, "http://127.0.0.1:" + port);
  }

  /** A wait of at most {@code seconds} that looks every 25 ms (Selenium's default is every 500). */
  public WebDriverWait waiting(long seconds) {
    WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(seconds));
    wait.pollingEvery(Duration.ofMillis(25));
    wait.ignoring(StaleElementReferenceException.class); // a live list replaces its rows as it redraws
    return wait;
  }

  public void go(String path) {
    driver.get(base + path);
  }

  /** Waits up to {@code seconds} for an element the CSS selector finds, and returns it. */
  public WebElement await(String css, long seconds) {
    return waiting(seconds).until(d -> {
      List<WebElement> found = d.findElements(By.cssSelector(css));
      return found.isEmpty() || !found.get(0).isDisplayed() ? null : found.get(0);
    });
  }

  public WebElement await(String css) {
    return await(css, TestServer.BOUND_S);
  }

  /** Waits up to {@code seconds} until the element's text is {@code text}. */
  public void awaitText(String css, String text, long seconds) {
    waiting(seconds).until(d -> {
      List<WebElement> found = d.findElements(By.cssSelector(css));
      return !found.isEmpty() && found.get(0).getText().trim().equals(text);
    });
  }

  public void awaitText(String css, String text) {
    awaitText(css, text, TestServer.BOUND_S);
  }

  /** Waits until no element matches. */
  public void awaitGone(String css) {
    waiting(TestServer.BOUND_S)
        .until(d -> d.findElements(By.cssSelector(css)).isEmpty());
  }

  /** Replaces what the field holds by typing, as a user would (so the page sees input events). */
  public void type(String css, String text) {
    WebElement field = await(css);
    field.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.DELETE);
    if (!text.isEmpty()) {
      field.sendKeys(text);
    }
  }

  /** Leaves the page for an empty one, so that nothing of it (a stream) outlives the node it talked to. */
  public void leave() {
    driver.get("about:blank");
    consoleErrors();
  }

  /** Clicks what the selector finds, finding it again if a redraw replaced it meanwhile. */
  public void click(String css) {
    waiting(TestServer.BOUND_S).until(d -> {
      await(css).click();
      return true;
    });
  }

  public Object script(String js, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(js, args);
  }

  /** What the page wrote to its console at level SEVERE (errors, failed loads) since last asked. */
  public List<String> consoleErrors() {
    List<String> errors = new ArrayList<>();
    for (LogEntry entry : driver.manage().logs().get(LogType.BROWSER)) {
      if (entry.getLevel().intValue() >= Level.SEVERE.intValue()) {
        errors.add(entry.getMessage());
      }
    }
    return errors;
  }

  /** Writes a screenshot of the page as {@code target/ui-screenshots/<name>.png}. */
  public Path screenshot(String name) {
    try {
      Files.createDirectories(SHOTS);
      Path file = SHOTS.resolve(name + ".png");
      Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    driver.quit();
  }
}
