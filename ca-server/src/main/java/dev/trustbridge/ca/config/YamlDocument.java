package dev.trustbridge.ca.config;

import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.DuplicateKeyException;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * Loads YAML text with snakeyaml-engine's defaults: YAML 1.2 JSON schema (only {@code true}, {@code
 * false} and {@code null} are special), no arbitrary classes, duplicate keys rejected, alias
 * expansion bounded. Syntax errors become a {@link ConfigException} with the line and column.
 */
final class YamlDocument {
  private static final LoadSettings SETTINGS = LoadSettings.builder().setLabel("config").build();

  private YamlDocument() {}

  /** The loaded document: maps, lists, strings, numbers, booleans and nulls. */
  static Object load(String text) {
    try {
      return new Load(SETTINGS).loadFromString(text);
    } catch (DuplicateKeyException e) {
      throw new ConfigException(duplicateKeyProblem(text, e));
    } catch (YamlEngineException e) {
      throw new ConfigException("yaml: " + describe(e));
    }
  }

  private static String describe(YamlEngineException e) {
    if (e instanceof MarkedYamlEngineException marked) {
      return marked.getProblem() + marked.getProblemMark().map(YamlDocument::where).orElse("");
    }
    String message = String.valueOf(e.getMessage());
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  private static String where(Mark mark) {
    return " (line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1) + ")";
  }

  /**
   * Names the duplicate key by its dotted path. The loader only knows the line, so the document is
   * composed again (the composer does not check duplicates) and searched for the key at that mark.
   */
  private static String duplicateKeyProblem(String text, DuplicateKeyException e) {
    Optional<Mark> mark = e.getProblemMark();
    try {
      Optional<Node> root = new Compose(SETTINGS).composeString(text);
      if (root.isPresent() && mark.isPresent()) {
        String path = find(root.get(), "", mark.get(), new IdentityHashMap<>());
        if (path != null) {
          return path + ": duplicate key" + where(mark.get());
        }
      }
    } catch (YamlEngineException ignored) {
      // Fall through to the loader's own description.
    }
    return "yaml: " + describe(e);
  }

  private static String find(Node node, String path, Mark mark, Map<Node, Boolean> visited) {
    if (visited.put(node, Boolean.TRUE) != null) {
      return null; // an alias to a node already searched
    }
    if (node instanceof SequenceNode sequence) {
      List<Node> items = sequence.getValue();
      for (int i = 0; i < items.size(); i++) {
        String found = find(items.get(i), path + "[" + i + "]", mark, visited);
        if (found != null) {
          return found;
        }
      }
    } else if (node instanceof MappingNode mapping) {
      Set<String> seen = new HashSet<>();
      for (NodeTuple tuple : mapping.getValue()) {
        if (!(tuple.getKeyNode() instanceof ScalarNode key)) {
          continue;
        }
        String keyPath = path.isEmpty() ? key.getValue() : path + "." + key.getValue();
        if (!seen.add(key.getValue()) && sameLine(key, mark)) {
          return keyPath;
        }
        String found = find(tuple.getValueNode(), keyPath, mark, visited);
        if (found != null) {
          return found;
        }
      }
    }
    return null;
  }

  private static boolean sameLine(Node key, Mark mark) {
    return key.getStartMark()
        .map(m -> m.getLine() == mark.getLine() && m.getColumn() == mark.getColumn())
        .orElse(false);
  }
}
