package dev.trustbridge.ca.keys.vault;

import io.github.jopenlibs.vault.json.Json;
import io.github.jopenlibs.vault.json.JsonObject;
import io.github.jopenlibs.vault.json.JsonValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One answer from Vault that was not a 403, a 5xx or a transport failure (those become {@code
 * UNAVAILABLE} inside {@link VaultSession}): a 2xx, or a 4xx that the caller interprets.
 *
 * @param status the HTTP status
 * @param body the JSON body, empty for 204 and bodies that are not a JSON object
 */
public record VaultReply(int status, JsonObject body) {
  public VaultReply {
    Objects.requireNonNull(body, "body");
  }

  static VaultReply of(int status, byte[] rawBody) {
    return new VaultReply(status, parse(rawBody));
  }

  private static JsonObject parse(byte[] rawBody) {
    if (rawBody == null || rawBody.length == 0) {
      return new JsonObject();
    }
    try {
      JsonValue value = Json.parse(new String(rawBody, StandardCharsets.UTF_8));
      return value.isObject() ? value.asObject() : new JsonObject();
    } catch (RuntimeException e) {
      // A proxy's HTML error page, or a truncated body: nothing to interpret.
      return new JsonObject();
    }
  }

  /** True for 2xx. */
  public boolean ok() {
    return status >= 200 && status < 300;
  }

  /** True for 404: Vault's answer for a key, role or path that does not exist. */
  public boolean notFound() {
    return status == 404;
  }

  /** The {@code data} object, or an empty one. */
  public JsonObject data() {
    JsonValue data = body.get("data");
    return data != null && data.isObject() ? data.asObject() : new JsonObject();
  }

  /** Vault's {@code errors}, for messages. */
  public List<String> errors() {
    return strings("errors");
  }

  /** Vault's {@code warnings}. */
  public List<String> warnings() {
    return strings("warnings");
  }

  /** The errors joined for an error message, cut to a sane length. */
  public String errorText() {
    String text = String.join("; ", errors()).replaceAll("\\s+", " ").trim();
    if (text.isEmpty()) {
      text = "no error message";
    }
    return text.length() > 300 ? text.substring(0, 300) + "..." : text;
  }

  private List<String> strings(String member) {
    JsonValue value = body.get(member);
    List<String> out = new ArrayList<>();
    if (value != null && value.isArray()) {
      for (JsonValue element : value.asArray()) {
        if (element.isString()) {
          out.add(element.asString());
        }
      }
    }
    return List.copyOf(out);
  }
}
