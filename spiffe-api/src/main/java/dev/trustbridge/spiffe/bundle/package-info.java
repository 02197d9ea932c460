/**
 * SPIFFE trust bundles: the {@link dev.trustbridge.spiffe.bundle.SpiffeBundle} value, the bundle
 * document ({@link dev.trustbridge.spiffe.bundle.SpiffeBundleCodec}), the bundle map ({@link
 * dev.trustbridge.spiffe.bundle.SpiffeBundleMapCodec}) read as a {@link
 * dev.trustbridge.spiffe.bundle.BundleSet}, and PEM import and export ({@link
 * dev.trustbridge.spiffe.bundle.PemBundles}). Every rejection is an {@link
 * dev.trustbridge.spiffe.bundle.InvalidBundleException} with an exact message; the readings chosen
 * where the specs are ambiguous are listed in docs/spiffe-conformance.md.
 */
package dev.trustbridge.spiffe.bundle;
