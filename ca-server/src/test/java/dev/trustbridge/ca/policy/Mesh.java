package dev.trustbridge.ca.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.trustbridge.ca.policy.javaspiffe.PolicyTrustManager;
import dev.trustbridge.ca.server.SpiffeHandshakes;
import dev.trustbridge.ca.server.TestServer;
import dev.trustbridge.ca.server.TestServer.Svid;
import dev.trustbridge.proto.admin.v1.PolicyAdminGrpc;
import dev.trustbridge.proto.admin.v1.PolicyDocument;
import dev.trustbridge.proto.admin.v1.Relationship;
import dev.trustbridge.proto.admin.v1.SetPolicyRequest;
import dev.trustbridge.proto.ca.v1.BundlesResponse;
import dev.trustbridge.proto.ca.v1.CertificateAuthorityGrpc;
import dev.trustbridge.proto.ca.v1.FetchBundlesRequest;
import dev.trustbridge.proto.ca.v1.SignX509SvidResponse;
import dev.trustbridge.proto.ca.v1.TrustBundle;
import dev.trustbridge.proto.ca.v1.WatchBundlesRequest;
import dev.trustbridge.spiffe.id.SpiffeId;
import dev.trustbridge.spiffe.id.TrustDomain;
import dev.trustbridge.spiffe.policy.Policy;
import dev.trustbridge.spiffe.policy.PolicyCodec;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.spiffe.provider.SpiffeKeyManager;
import io.spiffe.provider.SpiffeTrustManager;
import io.spiffe.workloadapi.X509Source;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/**
 * Real Trustbridge servers on loopback for the policy end-to-end tests: {@link TestServer}s that
 * run on real time (they poll their federated peers), with what the policy tests add to them:
 * policy administration, agents that watch their bundles and policy, and a java-spiffe mTLS
 * handshake whose accepting side enforces the policy with {@link PolicyTrustManager}.
 */
final class Mesh {
  private Mesh() {}

  /** One server hosting {@code trustDomains}, the first with a bundle endpoint. */
  static final class Node extends TestServer {
    final TrustDomain trustDomain;

    Node(Path dataDir, String... trustDomains) {
      super(dataDir, trustDomainsYaml(trustDomains), Clock.systemUTC());
      this.trustDomain = TrustDomain.parse(trustDomains[0]);
    }

    private static String trustDomainsYaml(String... trustDomains) {
      StringBuilder yaml = new StringBuilder("trust_domains:\n");
      for (int i = 0; i < trustDomains.length; i++) {
        yaml.append("  - name: ").append(trustDomains[i]).append('\n');
        yaml.append("    bundle_refresh_hint: 1m\n");
        if (i == 0) {
          yaml.append("    bundle_endpoint:\n      listen: 127.0.0.1:0\n");
        }
      }
      return yaml.toString();
    }

    PolicyAdminGrpc.PolicyAdminBlockingStub policyAdmin() {
      return PolicyAdminGrpc.newBlockingStub(admin());
    }

    /** Sets the whole policy; returns the stored document. */
    PolicyDocument setPolicy(Policy policy) {
      return policyAdmin()
          .setPolicy(
              SetPolicyRequest.newBuilder()
                  .setPolicy(ByteString.copyFrom(PolicyCodec.write(policy)))
                  .build());
    }

    /** This node federates (https_spiffe) with {@code peer}'s first trust domain. */
    void federateWith(Node peer) {
      Relationship refreshed = federate(peer.httpsSpiffeRelationship(peer.trustDomain).build());
      assertTrue(refreshed.getState().getHasBundle(), refreshed.getState().getLastError());
    }

    /**
     * A workload registered under an agent of its own, with one channel presenting its SVID that
     * all its later calls share.
     */
    Mesh.Workload workload(SpiffeId id, String... federatesWith) throws Exception {
      TestServer.Workload registered = workloadThroughAgent(id, federatesWith);
      return new Mesh.Workload(
          id, registered.svid(), registered.signed(), withSvid(registered.svid()));
    }
  }

  /** A workload with its SVID and the bundles it received when it was signed. */
  record Workload(SpiffeId id, Svid svid, SignX509SvidResponse signed, ManagedChannel channel) {
    BundlesResponse fetch() {
      return ca().fetchBundles(FetchBundlesRequest.getDefaultInstance());
    }

    CertificateAuthorityGrpc.CertificateAuthorityBlockingStub ca() {
      return CertificateAuthorityGrpc.newBlockingStub(channel);
    }

    /** Starts an agent for this workload that watches its bundles and policy. */
    Agent watch() throws Exception {
      Agent agent = new Agent(this);
      CertificateAuthorityGrpc.newStub(channel)
          .watchBundles(WatchBundlesRequest.getDefaultInstance(), agent);
      BundlesResponse first = agent.updates.poll(10, TimeUnit.SECONDS);
      assertTrue(first != null, "no first WatchBundles response");
      return agent;
    }
  }

  static boolean hasTrustDomain(BundlesResponse response, String td) {
    return TestServer.hasTrustDomain(response.getBundlesList(), td);
  }

  /**
   * What an agent holds for its workload: the latest bundles and compiled policy from WatchBundles,
   * and every update in arrival order.
   */
  static final class Agent implements StreamObserver<BundlesResponse> {
    final Workload workload;
    final AtomicReference<List<TrustBundle>> bundles = new AtomicReference<>(List.of());
    final AtomicReference<Policy> policy = new AtomicReference<>();
    final BlockingQueue<BundlesResponse> updates = new LinkedBlockingQueue<>();

    Agent(Workload workload) {
      this.workload = workload;
    }

    @Override
    public void onNext(BundlesResponse response) {
      bundles.set(response.getBundlesList());
      policy.set(PolicyCodec.parse(response.getPolicy().toByteArray()));
      updates.add(response);
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}

    /** Waits for an update carrying {@code version}; returns the milliseconds waited. */
    long awaitPolicyVersion(long version, long timeoutMillis) throws InterruptedException {
      long start = System.nanoTime();
      long deadline = start + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
      while (true) {
        long left = deadline - System.nanoTime();
        BundlesResponse next = updates.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
        if (next == null) {
          throw new AssertionError("no policy version " + version + " within " + timeoutMillis);
        }
        if (next.getPolicyVersion() == version) {
          assertEquals(version, PolicyCodec.parse(next.getPolicy().toByteArray()).version());
          return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        }
      }
    }

    /**
     * An SSL context for this workload accepting connections: java-spiffe's key and trust managers
     * over the agent's current bundles, with the policy enforced by {@link PolicyTrustManager} on
     * the agent's current compiled policy. Built once; updates apply to later handshakes.
     */
    SSLContext serverContext() throws Exception {
      X509Source source = SpiffeHandshakes.source(workload.svid(), bundles::get);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(
          new KeyManager[] {new SpiffeKeyManager(source)},
          new TrustManager[] {
            new PolicyTrustManager(new SpiffeTrustManager(source), workload::id, policy::get)
          },
          null);
      return context;
    }
  }

  /** A client context for {@code client}, accepting only {@code expectedServer}. */
  static SSLContext clientContext(Workload client, SpiffeId expectedServer) throws Exception {
    BundlesResponse bundles = client.fetch();
    return SpiffeHandshakes.context(client.svid(), bundles::getBundlesList, expectedServer);
  }
}
