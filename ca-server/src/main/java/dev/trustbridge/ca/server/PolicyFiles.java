package dev.trustbridge.ca.server;

import dev.trustbridge.ca.policy.PolicyManager;
import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import dev.trustbridge.spiffe.policy.Policy;
import dev.trustbridge.spiffe.policy.PolicyCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The policy given in the configuration ({@code policy_file}): applied at start as a new version
 * when its rules differ from the current policy, so a GitOps-managed file and the admin API meet in
 * one versioned history.
 */
final class PolicyFiles {
  private static final Logger LOG = LoggerFactory.getLogger(PolicyFiles.class);

  private PolicyFiles() {}

  static void apply(PolicyManager policies, Path file) {
    Policy fromFile;
    try {
      fromFile = PolicyCodec.parse(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new TrustbridgeException(
          ErrorCode.FAILED_PRECONDITION,
          "policy_file: cannot read " + file + ": " + e.getMessage());
    } catch (TrustbridgeException e) {
      throw new TrustbridgeException(
          ErrorCode.FAILED_PRECONDITION, "policy_file: " + file + ": " + e.getMessage());
    }
    Policy current = policies.current();
    if (sameRules(current, fromFile)) {
      LOG.info("policy_file {} matches policy version {}", file, current.version());
      return;
    }
    try {
      policies.set(fromFile, OptionalLong.empty(), "config:policy_file");
    } catch (TrustbridgeException e) {
      throw new TrustbridgeException(
          ErrorCode.FAILED_PRECONDITION, "policy_file: " + file + ": " + e.getMessage());
    }
  }

  private static boolean sameRules(Policy a, Policy b) {
    return a.grants().equals(b.grants())
        && a.exposures().equals(b.exposures())
        && a.allowRules().equals(b.allowRules());
  }
}
