package io.taskloop.cluster;

import static io.taskloop.support.TestServer.bounded;
import static io.taskloop.support.TestServer.external;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.taskloop.support.TestCluster;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.core.spi.cluster.NodeInfo;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The clustered event bus over mutual TLS ({@code cluster_tls_*}): two real Hazelcast members
 * whose buses carry a task's answers across nodes, and whose bus port takes a TLS connection
 * only from a peer that shows a certificate the CA signed.
 */
class ClusterTlsTest {

  private static TestCluster cluster;
  private static SelfSignedCertificate cert;

  @BeforeAll
  static void start() {
    cert = SelfSignedCertificate.create("localhost");
    cluster = TestCluster.start(2, Map.of("cluster_tls_cert_file", cert.certificatePath(),
        "cluster_tls_key_file", cert.privateKeyPath(), "cluster_tls_ca_file", cert.certificatePath()));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.stop();
    }
    cert.delete();
  }

  @Test
  void tasksAreServedAcrossNodesOverTheTlsBus() {
    String id = cluster.node(0).create(external()).getString("id");
    assertEquals(id, cluster.node(1).task(id).getString("id"), "read through the other node: one bus hop over TLS");
    cluster.node(1).post("/v1/tasks/" + id + "/complete", new JsonObject().put("result", "ok")).expect(200);
    assertEquals("ok", cluster.node(0).awaitDone(id).getString("result"));
  }

  @Test
  void theBusTakesOnlyPeersWithACertificateOfTheCa() {
    Promise<NodeInfo> info = Promise.promise();
    cluster.managers.get(1).getNodeInfo(cluster.managers.get(1).getNodeId(), info);
    NodeInfo bus = bounded(info.future());
    NetClient withCert = cluster.vertxes.get(0).createNetClient(new NetClientOptions().setSsl(true).setHostnameVerificationAlgorithm("")
        .setKeyCertOptions(cert.keyCertOptions()).setTrustOptions(cert.trustOptions()).setConnectTimeout(5_000));
    NetSocket ok = bounded(withCert.connect(bus.port(), bus.host()));
    assertTrue(ok.isSsl(), "a TLS connection with a certificate of the CA is taken");
    ok.close();
    NetClient withoutCert = cluster.vertxes.get(0).createNetClient(new NetClientOptions().setSsl(true).setHostnameVerificationAlgorithm("")
        .setTrustOptions(cert.trustOptions()).setConnectTimeout(5_000));
    AsyncResult<NetSocket> refused = bounded(closedOrFailed(withoutCert.connect(bus.port(), bus.host())));
    assertTrue(refused.failed(), "a peer without a certificate is refused");
    NetClient plain = cluster.vertxes.get(0).createNetClient(new NetClientOptions().setConnectTimeout(5_000));
    AsyncResult<NetSocket> cleartext = bounded(closedOrFailed(plain.connect(bus.port(), bus.host())));
    assertTrue(cleartext.failed(), "cleartext is refused");
  }

  /**
   * Connects and writes a little; fails if the connection fails or the other side closes it
   * (a TLS server that refuses the handshake or a cleartext hello closes the socket).
   */
  private static Future<AsyncResult<NetSocket>> closedOrFailed(Future<NetSocket> connecting) {
    Promise<AsyncResult<NetSocket>> out = Promise.promise();
    connecting.onFailure(err -> out.tryComplete(Future.failedFuture(err))).onSuccess(socket -> {
      socket.closeHandler(v -> out.tryComplete(Future.failedFuture("closed by the bus")));
      socket.exceptionHandler(err -> out.tryComplete(Future.failedFuture(err)));
      socket.handler(data -> { });
      socket.write("hello bus\r\n\r\n");
      cluster.vertxes.get(0).setTimer(5_000, t -> out.tryComplete(Future.succeededFuture(socket)));
    });
    return out.future();
  }
}
