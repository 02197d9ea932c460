/**
 * The local, per-identity policy for federated identities: the model ({@link
 * dev.trustbridge.spiffe.policy.Policy} of {@link dev.trustbridge.spiffe.policy.Grant}s, {@link
 * dev.trustbridge.spiffe.policy.Exposure}s and {@link dev.trustbridge.spiffe.policy.AllowRule}s
 * over {@link dev.trustbridge.spiffe.policy.IdPattern}s), its evaluation ({@link
 * dev.trustbridge.spiffe.policy.Policy#decide} giving a {@link
 * dev.trustbridge.spiffe.policy.Decision}), the compiled per-identity subset distributed to agents
 * ({@link dev.trustbridge.spiffe.policy.Policy#forIdentity}), its JSON form ({@link
 * dev.trustbridge.spiffe.policy.PolicyCodec}) and the Istio export ({@link
 * dev.trustbridge.spiffe.policy.IstioAuthorizationPolicyExporter}). Pure: no I/O, so that the
 * server, agents and libraries evaluate exactly the same thing. Every refusal is a {@link
 * dev.trustbridge.spiffe.policy.PolicyException} with an exact message; see docs/policy.md.
 */
package dev.trustbridge.spiffe.policy;
