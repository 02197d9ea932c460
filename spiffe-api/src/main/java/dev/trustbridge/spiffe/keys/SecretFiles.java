package dev.trustbridge.spiffe.keys;

import dev.trustbridge.spiffe.error.ErrorCode;
import dev.trustbridge.spiffe.error.TrustbridgeException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * Secrets kept in files only their owner may access: key passphrases, HSM PINs, Vault tokens,
 * database passwords. The bytes read are wiped once decoded; the caller wipes the returned chars.
 */
public final class SecretFiles {
  private SecretFiles() {}

  /**
   * The secret in {@code file}: strict UTF-8, without one trailing line break (LF or CRLF).
   *
   * @param name how messages name the file, e.g. {@code "passphrase file /etc/tb/pass"} or {@code
   *     "datastore.password_file: /etc/tb/db"}
   * @throws TrustbridgeException FAILED_PRECONDITION if the file is accessible by group or others,
   *     missing, empty or not UTF-8; UNAVAILABLE if it cannot be read
   */
  public static char[] read(Path file, String name) {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(name, "name");
    byte[] bytes = null;
    CharBuffer chars = null;
    try {
      if (Passphrases.accessibleByOthers(file)) {
        throw new TrustbridgeException(
            ErrorCode.FAILED_PRECONDITION,
            name
                + " is accessible by group or others (mode "
                + Passphrases.mode(file)
                + "); refusing to use it, run chmod 600 on it");
      }
      bytes = Files.readAllBytes(file);
      chars =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes));
      int length = chars.remaining();
      if (length > 0 && chars.get(length - 1) == '\n') {
        length--;
        if (length > 0 && chars.get(length - 1) == '\r') {
          length--;
        }
      }
      if (length == 0) {
        throw new TrustbridgeException(ErrorCode.FAILED_PRECONDITION, name + " is empty");
      }
      char[] secret = new char[length];
      chars.get(secret);
      return secret;
    } catch (NoSuchFileException e) {
      throw new TrustbridgeException(ErrorCode.FAILED_PRECONDITION, name + " does not exist", e);
    } catch (CharacterCodingException e) {
      throw new TrustbridgeException(ErrorCode.FAILED_PRECONDITION, name + " is not UTF-8", e);
    } catch (IOException e) {
      throw TrustbridgeException.unavailable("cannot read " + name, e);
    } finally {
      if (bytes != null) {
        Arrays.fill(bytes, (byte) 0);
      }
      if (chars != null && chars.hasArray()) {
        Arrays.fill(chars.array(), '\0');
      }
    }
  }
}
